package dev.orchestrator.core;

import java.util.List;

/**
 * Every environment variable the orchestrator's code reads, in one place. The template sets them;
 * a contract test checks that code and template agree.
 */
public final class EnvNames {

    private EnvNames() {
    }

    /** Status table name (one item per run). */
    public static final String STATUS_TABLE = "STATUS_TABLE";
    /** Plugin registration table name. */
    public static final String PLUGIN_TABLE = "PLUGIN_TABLE";
    /** The stack's EventBridge bus, where run outcomes are announced. */
    public static final String EVENT_BUS_NAME = "EVENT_BUS_NAME";
    /** URL of the engine's timer queue (delayed SQS messages back to the engine). */
    public static final String TIMER_QUEUE_URL = "TIMER_QUEUE_URL";
    /** {@code arn:aws:sns:<region>:<account>:<stack>-}: a stage topic's ARN is this plus its name. */
    public static final String TOPIC_ARN_PREFIX = "TOPIC_ARN_PREFIX";
    /**
     * Registration window, in seconds, when the run sets none (default 0): how long a parallel stage admits
     * plugins the registry does not know. Registered plugins the stage message reaches are expected without it.
     */
    public static final String DEFAULT_REGISTER_TIMEOUT = "DEFAULT_REGISTER_TIMEOUT";

    /** Execution timeout (s) of a plugin that neither the run nor the plugin sets. */
    public static final String DEFAULT_PLUGIN_TIMEOUT = "DEFAULT_PLUGIN_TIMEOUT";
    /** Start timeout (s): how long a listed or dispatched plugin may take to claim its work. */
    public static final String DEFAULT_START_TIMEOUT = "DEFAULT_START_TIMEOUT";
    /** Comma-separated metadata keys sent as SNS message attributes when a run names none. */
    public static final String DEFAULT_FILTER_ATTRIBUTES = "DEFAULT_FILTER_ATTRIBUTES";

    /** Comma-separated activities this stack deployed topics for; starts naming others are refused. */
    public static final String ACTIVITIES = "ACTIVITIES";

    /** Tier table (hash key tier): build job names and environment per plan tier. */
    public static final String TIER_TABLE = "TIER_TABLE";
    /** Tenant jobs table: builds and deployments per tenant, and each tenant's state. */
    public static final String TENANT_JOBS_TABLE = "TENANT_JOBS_TABLE";
    /** Processed events table: every tenant event handled once. */
    public static final String PROCESSED_EVENTS_TABLE = "PROCESSED_EVENTS_TABLE";
    /** Comma-separated event sources accepted for tenant lifecycle events. */
    public static final String TENANT_EVENT_SOURCES = "TENANT_EVENT_SOURCES";
    /** Workflow a tenant deployment runs when its tier names none. */
    public static final String TENANT_WORKFLOW = "TENANT_WORKFLOW";
    /** Comma-separated activities of the tenant workflow when its tier names none. */
    public static final String TENANT_ACTIVITIES = "TENANT_ACTIVITIES";

    /** Comma-separated event sources accepted for sbt-aws's control-plane requests (sbt.control.plane). */
    public static final String SBT_AWS_EVENT_SOURCES = "SBT_AWS_EVENT_SOURCES";
    /** Prefix of sbt-aws's detail-types (sbt_aws_): the router serves &lt;prefix&gt;onboardingRequest and its siblings. */
    public static final String SBT_AWS_DETAIL_TYPE_PREFIX = "SBT_AWS_DETAIL_TYPE_PREFIX";
    /** Source of the answers the router puts for sbt-aws's control plane (sbt.application.plane). */
    public static final String SBT_AWS_APPLICATION_SOURCE = "SBT_AWS_APPLICATION_SOURCE";
    /** Comma-separated exported build variables answered under jobOutput.tenantRegistrationData (others: tenantData). */
    public static final String SBT_AWS_REGISTRATION_VARIABLES = "SBT_AWS_REGISTRATION_VARIABLES";

    /** Parameter Store path under which the tenant router stores secret build variables (SecureString, one per tenant and name). */
    public static final String TENANT_SECRETS_PATH = "TENANT_SECRETS_PATH";
    /** Run history table (pk run = uid#workflow, sk at = time#sequence): every transition of every run. */
    public static final String HISTORY_TABLE = "HISTORY_TABLE";
    /** Days a history entry is kept (DynamoDB TTL on expiresAt); 0 keeps entries forever. */
    public static final String HISTORY_RETENTION_DAYS = "HISTORY_RETENTION_DAYS";

    /** Endpoint for Lambda Invoke calls (initialize) when it differs from AWS_ENDPOINT_URL (local runs). */
    public static final String LAMBDA_ENDPOINT_URL = "LAMBDA_ENDPOINT_URL";

    /** A queue plugin's own queue (bridge forwards to it; worker re-sends delayed runs to it). */
    public static final String PLUGIN_QUEUE_URL = "PLUGIN_QUEUE_URL";
    /** The plugin queue's maxReceiveCount: on that receive a failing message is marked Error. */
    public static final String PLUGIN_MAX_RECEIVE_COUNT = "PLUGIN_MAX_RECEIVE_COUNT";
    /** How many attempts RetryError gets before the plugin is marked Error. */
    public static final String PLUGIN_MAX_ATTEMPTS = "PLUGIN_MAX_ATTEMPTS";

    /** The stack's payload bucket (export {@code <Stack>-payload-bucket}): large plugin outputs and stage inputs. */
    public static final String PAYLOAD_BUCKET = "PAYLOAD_BUCKET";
    /** Seconds a presigned link to a payload object in a stage message stays valid (the engine mints them). */
    public static final String PAYLOAD_URL_SECONDS = "PAYLOAD_URL_SECONDS";
    /** The engine: the one bucket besides the payload bucket a map may read its list from ({@code MapListBucket}). */
    public static final String MAP_LIST_BUCKET = "MAP_LIST_BUCKET";
    /** A plugin's outputs up to this many bytes (UTF-8 JSON) stay in its execution item; larger ones go to S3. */
    public static final String OUTPUT_INLINE_MAX_BYTES = "OUTPUT_INLINE_MAX_BYTES";
    /** A plugin's output over this many bytes ends the plugin Error (the hard limit). */
    public static final String OUTPUT_MAX_BYTES = "OUTPUT_MAX_BYTES";

    /** Log level of every function (the template's Globals, from LogLevel): read by Log. */
    public static final String LOG_LEVEL = "POWERTOOLS_LOG_LEVEL";
    /** CloudWatch namespace of the EMF metrics (the template's Globals, from MetricsNamespace): read by Metrics. */
    public static final String METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE";
    /** The metrics' service dimension (the template's Globals: the stack name): read by Metrics. */
    public static final String SERVICE_NAME = "POWERTOOLS_SERVICE_NAME";
    /** Read by the JVM itself, not by our code: the template sets it in Globals for every function. */
    public static final String JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";

    /** Set by Lambda itself; read to build clients. Not set in the template. */
    public static final String AWS_REGION = "AWS_REGION";
    /** Set by Lambda itself; names the function a client belongs to when API calls are counted (AwsClients.FUNCTION). */
    public static final String AWS_LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME";
    /** Honoured for local runs and tests (emulator endpoint). */
    public static final String AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL";

    /** Variables provided by the Lambda runtime or the local runner rather than by our template. */
    public static final List<String> PROVIDED_BY_RUNTIME = List.of(AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, AWS_ENDPOINT_URL, LAMBDA_ENDPOINT_URL,
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN");
}
