package dev.orchestrator.core;

import java.util.regex.Pattern;

/** Limits on names and sizes, checked at start and on plugin writes, so no input can make a run unreadable. */
public final class Names {

    private Names() {
    }

    /** Plugin names: they are map keys in the status item and SNS attribute values. */
    public static final int MAX_PLUGIN_NAME = 128;
    public static final Pattern PLUGIN_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** Activity names become parts of topic names and CloudFormation logical ids: letters and digits. */
    public static final Pattern ACTIVITY_NAME = Pattern.compile("[A-Za-z0-9]{1,64}");
    /** uid and workflow: the status table's key; they travel in every message and event. */
    public static final int MAX_KEY = 1024;
    /** Metadata rides in every stage message and outcome event; SNS and EventBridge cap both at 256 KB. */
    public static final int MAX_METADATA_BYTES = 128 * 1024;
    /** SNS refuses a message over 256 KB (262,144 bytes). */
    public static final int MAX_SNS_MESSAGE_BYTES = 262_144;
    /** SNS allows 10 message attributes; workflow, activity, stage and plugin are ours. */
    public static final int MAX_ATTRIBUTES = 10;
    public static final int RESERVED_ATTRIBUTES = 4;
    /** SNS attribute names: letters, digits, underscore, hyphen, period; no leading/trailing/double period. */
    public static final Pattern ATTRIBUTE_NAME = Pattern.compile("(?!\\.)(?!.*\\.\\.)(?!.*\\.$)[A-Za-z0-9_.-]{1,256}");
    /** Values of metadata fields sent as attributes: SNS needs non-empty strings. */
    public static final int MAX_ATTRIBUTE_VALUE = 1024;

    /** Metadata keys sent as SNS attributes when neither run nor stack chooses (the template's default agrees). */
    public static final java.util.List<String> DEFAULT_FILTER_ATTRIBUTES = java.util.List.of("tier", "tenantId");

    /**
     * Raises the AWS SDK's own JSON limits (its shaded Jackson refuses names over 50,000 characters), so an item
     * a foreign writer gave a 64 KB map key can still be read, and then repaired, instead of failing every read.
     * Must run before the first SDK client is built; {@link AwsClients} does it when it loads.
     */
    public static void allowLongNamesInSdk() {
        software.amazon.awssdk.thirdparty.jackson.core.StreamReadConstraints.overrideDefaultStreamReadConstraints(
                software.amazon.awssdk.thirdparty.jackson.core.StreamReadConstraints.builder()
                        .maxNameLength(1_048_576).build());
    }

    public static boolean validPluginName(String name) {
        return name != null && PLUGIN_NAME.matcher(name).matches();
    }

    public static boolean validAttributeName(String name) {
        return name != null && ATTRIBUTE_NAME.matcher(name).matches()
                && !name.startsWith("AWS.") && !name.startsWith("Amazon.");
    }

    /** A message cut to at most {@code max} characters (status messages have size limits). */
    public static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    /** A name shortened for messages (a 65,000-character name must not flood a status message). */
    public static String shorten(String name) {
        return name.length() <= 40 ? name : name.substring(0, 40) + "...(" + name.length() + " chars)";
    }
}
