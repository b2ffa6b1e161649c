package dev.orchestrator.core;

import java.util.List;

/**
 * The stack's exports that our own tools read, each named {@code <Stack>-<suffix>}: the CLI, the console, the
 * local runner and the bench find tables, functions and the bus through them. One place for the suffixes, so
 * the template and every reader agree (TemplateContractTest checks each one is exported). Stage topics are
 * exported too, under {@link Topics#name}.
 */
public final class StackExports {

    private StackExports() {
    }

    public static final String STATUS_TABLE = "status-name";
    public static final String STATUS_TABLE_ARN = "status-arn";
    public static final String PLUGIN_TABLE = "plugin-name";
    public static final String PLUGIN_TABLE_ARN = "plugin-arn";
    public static final String HISTORY_TABLE = "history-name";
    public static final String TIER_TABLE = "tier-name";
    public static final String TENANT_JOBS_TABLE = "tenant-jobs-name";
    public static final String START_WORKFLOW = "start-workflow";
    public static final String REGISTRAR = "registrar";
    public static final String EVENT_BUS = "event-bus";
    public static final String DEAD_LETTER_QUEUES = "dead-letter-queues";
    public static final String PAYLOAD_BUCKET = "payload-bucket";
    public static final String PLUGIN_POLICY = "plugin-policy";
    public static final String LAYER = "layer";

    /** Every suffix above: what the template must export. */
    public static final List<String> ALL = List.of(STATUS_TABLE, STATUS_TABLE_ARN, PLUGIN_TABLE, PLUGIN_TABLE_ARN,
            HISTORY_TABLE, TIER_TABLE, TENANT_JOBS_TABLE, START_WORKFLOW, REGISTRAR, EVENT_BUS, DEAD_LETTER_QUEUES,
            PAYLOAD_BUCKET, PLUGIN_POLICY, LAYER);

    /** The export's full name in a stack. */
    public static String name(String stackName, String suffix) {
        return stackName + "-" + suffix;
    }
}
