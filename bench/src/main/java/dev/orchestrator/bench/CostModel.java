package dev.orchestrator.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prices one workflow from counted calls (pure: counts in, dollars out). Plugins' own invocations and
 * work are the same in every layout (each plugin runs once) and are left out of all of them; the
 * status writes plugins make for the orchestrator are in ours, since they are its protocol.
 */
final class CostModel {

    /** One priced line: what, how many per workflow, dollars per workflow. */
    record Line(String what, double quantity, double dollars) {
    }

    /** A layout's cost per workflow, itemized. */
    record Layout(String name, List<Line> lines) {
        double perWorkflow() {
            return lines.stream().mapToDouble(Line::dollars).sum();
        }

        double perMillion() {
            return perWorkflow() * Prices.PER_MILLION;
        }
    }

    private CostModel() {
    }

    /** Mean over runs of a per-run quantity. */
    private static double mean(List<RunMeter.Run> runs, java.util.function.ToDoubleFunction<RunMeter.Run> f) {
        return runs.stream().mapToDouble(f).average().orElse(0);
    }

    private static final java.util.Set<String> WRITES = java.util.Set.of("DynamoDb.PutItem", "DynamoDb.UpdateItem", "DynamoDb.DeleteItem",
            "DynamoDb.BatchWriteItem", "DynamoDb.TransactWriteItems");

    /**
     * Ours, from what the runs measured (means per workflow): write units from the streams (status table
     * by item, RunsIndex, history), writes that changed nothing and refused conditional writes (1 unit
     * each), read units from the items the reads returned, SNS, SQS timers (a send, a receive and a
     * delete per timer), EventBridge, Lambda, CloudWatch Logs ingestion of what the handlers logged.
     * Plugins' own invocations are left out (the same in every layout); their status writes, reads and
     * the library's log lines are the orchestrator's protocol and are in.
     */
    static Layout ours(List<RunMeter.Run> runs) {
        List<Line> lines = new ArrayList<>();
        double status = mean(runs, r -> r.status().tableWru() + r.unrecordedStatusWrites());
        double statusWrites = mean(runs, r -> r.statusRecords() + r.unrecordedStatusWrites());
        double index = mean(runs, r -> r.status().indexWru);
        double history = mean(runs, r -> r.history().tableWru() + r.unrecordedHistoryWrites());
        double historyWrites = mean(runs, r -> r.historyRecords() + r.unrecordedHistoryWrites());
        double refused = mean(runs, r -> r.failedConditions().values().stream().mapToLong(Long::longValue).sum());
        double otherWrites = mean(runs, r -> r.calls().getOrDefault("tenant", Map.of()).entrySet().stream()
                .filter(e -> WRITES.contains(e.getKey())).mapToLong(Map.Entry::getValue).sum());
        lines.add(new Line("DynamoDB WRU, status table (" + fmt(statusWrites) + " item writes: header, executions, rosters; from the stream)",
                status, status * Prices.DYNAMODB_WRU));
        lines.add(new Line("DynamoDB WRU, RunsIndex (index writes of the headers' status changes)", index, index * Prices.DYNAMODB_WRU));
        lines.add(new Line("DynamoDB WRU, history table (" + fmt(historyWrites) + " items; from its stream)", history, history * Prices.DYNAMODB_WRU));
        lines.add(new Line("DynamoDB WRU, refused conditional writes (1 each)", refused, refused * Prices.DYNAMODB_WRU));
        lines.add(new Line("DynamoDB WRU, tenant tables (1 each)", otherWrites, otherWrites * Prices.DYNAMODB_WRU));
        double readRequests = mean(runs, r -> r.reads().values().stream().mapToDouble(v -> v[0]).sum());
        double readItems = mean(runs, r -> r.reads().values().stream().mapToDouble(v -> v[1]).sum());
        double readUnits = mean(runs, r -> r.reads().values().stream().mapToDouble(v -> v[2]).sum());
        lines.add(new Line("DynamoDB RRU (" + fmt(readRequests) + " GetItem/Query/BatchGetItem/Scan, " + fmt(readItems)
                + " items returned, strongly consistent as the code asks)", readUnits, readUnits * Prices.DYNAMODB_RRU));
        double streamRecords = mean(runs, r -> r.statusRecords());
        lines.add(new Line("DynamoDB Streams records read by the engine and history triggers (free)", 2 * streamRecords, 0));
        double publishes = mean(runs, r -> r.calls("engine", "Sns.") + r.calls("start", "Sns."));
        double deliveries = mean(runs, RunMeter.Run::pluginInvocations);
        lines.add(new Line("SNS publishes", publishes, publishes * Prices.SNS_PUBLISH));
        lines.add(new Line("SNS deliveries to Lambda (free)", deliveries, 0));
        double timers = mean(runs, r -> r.call("engine", "Sqs.SendMessage"));
        lines.add(new Line("SQS timer sends", timers, timers * Prices.SQS_REQUEST));
        lines.add(new Line("SQS timer receives (one per timer by the event source mapping)", timers, timers * Prices.SQS_REQUEST));
        lines.add(new Line("SQS timer deletes (one per timer)", timers, timers * Prices.SQS_REQUEST));
        double events = mean(runs, r -> r.calls("engine", "EventBridge.") + r.calls("tenant", "EventBridge."));
        lines.add(new Line("EventBridge events", events, events * Prices.EVENTBRIDGE_EVENT));
        double invocations = mean(runs, r -> r.invocations().entrySet().stream().filter(e -> !e.getKey().equals(BenchStack.PLUGINS))
                .mapToLong(Map.Entry::getValue).sum());
        double apiCalls = mean(runs, r -> r.calls().entrySet().stream().filter(e -> !e.getKey().equals(BenchStack.PLUGINS))
                .flatMap(e -> e.getValue().values().stream()).mapToLong(Long::longValue).sum());
        double gbSeconds = (invocations * Prices.MS_PER_INVOCATION + apiCalls * Prices.MS_PER_API_CALL) / 1000d
                * Prices.OUR_MEMORY_MB / 1024d;
        lines.add(new Line("Lambda requests (orchestrator functions)", invocations, invocations * Prices.LAMBDA_REQUEST));
        lines.add(new Line("Lambda GB-s (arm64, " + Prices.OUR_MEMORY_MB + " MB)", gbSeconds, gbSeconds * Prices.LAMBDA_GB_SECOND_ARM));
        double logged = mean(runs, r -> r.logBytes().values().stream().mapToLong(Long::longValue).sum());
        double platform = invocations * Prices.PLATFORM_LOG_BYTES_PER_INVOCATION;
        double kb = (logged + platform) / 1024d;
        lines.add(new Line("CloudWatch Logs ingestion, KB (" + fmt(logged / 1024d) + " KB logged by the handlers incl. the plugin library's lines and EMF,"
                + " + " + fmt(platform / 1024d) + " KB Lambda platform lines)", kb, kb * 1024d / (1024d * 1024 * 1024) * Prices.CLOUDWATCH_LOGS_GB));
        return new Layout("this orchestrator (measured)", lines);
    }

    /** The original: Step Functions chaining stages, a Lambda waiting out each parallel stage. */
    static Layout original() {
        double gbSeconds = Prices.ORIGINAL_PARALLEL_STAGES * Prices.ORIGINAL_WAIT_SECONDS * Prices.ORIGINAL_WAIT_MEMORY_MB / 1024d;
        return new Layout("original orchestrator (Step Functions + waiting Lambda)", List.of(
                new Line("Step Functions Standard transitions", Prices.ORIGINAL_TRANSITIONS,
                        Prices.ORIGINAL_TRANSITIONS * Prices.SFN_STANDARD_TRANSITION),
                new Line("Lambda requests (waiting)", Prices.ORIGINAL_PARALLEL_STAGES, Prices.ORIGINAL_PARALLEL_STAGES * Prices.LAMBDA_REQUEST),
                new Line("Lambda GB-s waiting (" + fmt(Prices.ORIGINAL_WAIT_SECONDS) + " s x " + Prices.ORIGINAL_PARALLEL_STAGES
                        + " stages, x86_64, " + Prices.ORIGINAL_WAIT_MEMORY_MB + " MB)", gbSeconds, gbSeconds * Prices.LAMBDA_GB_SECOND_X86)));
    }

    /** A plain Standard state machine: per activity a Parallel state with one Task (lambda:invoke) per plugin. */
    static Layout plainStepFunctions(int activities, int pluginsPerActivity) {
        int transitions = activities * (1 + pluginsPerActivity);
        return new Layout("plain Step Functions Standard (" + activities + " Parallel states, " + activities * pluginsPerActivity + " Tasks)",
                List.of(new Line("Step Functions Standard transitions", transitions, transitions * Prices.SFN_STANDARD_TRANSITION)));
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.format("%.1f", d);
    }
}
