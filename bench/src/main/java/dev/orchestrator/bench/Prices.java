package dev.orchestrator.bench;

/**
 * AWS list prices used by the benchmark, all in one place (us-east-1, on demand, after free tiers,
 * as published in 2025-2026). Change them here; the benchmark prints them with its results.
 */
final class Prices {

    private Prices() {
    }

    static final double PER_MILLION = 1_000_000d;

    /** Lambda: per request, and per GB-second on arm64 (Graviton) and x86_64. */
    static final double LAMBDA_REQUEST = 0.20 / PER_MILLION;
    static final double LAMBDA_GB_SECOND_ARM = 0.0000133334;
    static final double LAMBDA_GB_SECOND_X86 = 0.0000166667;
    /** DynamoDB on demand: per write request unit (1 KB) and read request unit (4 KB, strongly consistent). */
    static final double DYNAMODB_WRU = 0.625 / PER_MILLION;
    static final double DYNAMODB_RRU = 0.125 / PER_MILLION;
    /** SNS: per published 64 KB chunk; deliveries to Lambda and SQS cost nothing. */
    static final double SNS_PUBLISH = 0.50 / PER_MILLION;
    /** SQS standard: per request (64 KB chunk). */
    static final double SQS_REQUEST = 0.40 / PER_MILLION;
    /** EventBridge: per custom event put (64 KB chunk); rule deliveries to Lambda are free. */
    static final double EVENTBRIDGE_EVENT = 1.00 / PER_MILLION;
    /** CloudWatch Logs: per GB ingested (standard class). */
    static final double CLOUDWATCH_LOGS_GB = 0.50;
    /** Step Functions Standard: per state transition. */
    static final double SFN_STANDARD_TRANSITION = 25.0 / PER_MILLION;

    // ---- assumptions (printed)
    /** Memory of our functions (template.yaml Globals) and their architecture. */
    static final int OUR_MEMORY_MB = 1024;
    /** Billed time of one warm invocation of ours: a fixed part plus each AWS call it makes (in-region latency). */
    static final double MS_PER_INVOCATION = 10;
    static final double MS_PER_API_CALL = 8;
    /** Lambda's own lines per invocation (START, END, REPORT: about 60 + 50 + 140 bytes), ingested like the handlers'. */
    static final double PLATFORM_LOG_BYTES_PER_INVOCATION = 250;
    /** The goal of issue 20: 1/20 of the original layout's $775.60 per million 3x6 workflows, rounded down. */
    static final double GOAL_PER_MILLION = 60;
    /** The original orchestrator: transitions per 3-activity workflow, Lambda waits per parallel stage. */
    static final int ORIGINAL_TRANSITIONS = 21;
    static final double ORIGINAL_WAIT_SECONDS = 5;
    static final int ORIGINAL_PARALLEL_STAGES = 3;
    /** The seed does not state its memory: assumed equal to ours, on x86_64 (its default). */
    static final int ORIGINAL_WAIT_MEMORY_MB = 1024;
}
