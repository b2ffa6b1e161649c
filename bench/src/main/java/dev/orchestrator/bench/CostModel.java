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

    /** Roles whose DynamoDB calls are on the run's status item (priced by its size). */
    static final java.util.Set<String> STATUS_ITEM_WRITERS = java.util.Set.of("engine", "start", BenchStack.PLUGINS);

    private CostModel() {
    }

    /**
     * Ours, from per-workflow averages.
     * @param callsByFunctionRole role (engine, start, tenant, plugins) -> "Service.Operation" -> calls per workflow
     * @param invocationsByRole role -> invocations per workflow (plugins excluded by the caller)
     * @param statusItemBytes size of the run's status item (writes and reads of it are priced by size)
     */
    static Layout ours(Map<String, Map<String, Double>> callsByFunctionRole, Map<String, Double> invocationsByRole, int statusItemBytes) {
        List<Line> lines = new ArrayList<>();
        int wru = Math.max(1, (statusItemBytes + 1023) / 1024);
        int rru = Math.max(1, (statusItemBytes + 4095) / 4096);
        double writes = 0;
        double writeUnits = 0;
        double reads = 0;
        double readUnits = 0;
        double publishes = 0;
        double sqs = 0;
        double events = 0;
        double other = 0;
        for (var byRole : callsByFunctionRole.entrySet()) {
            // The engine, the start function and the plugins write the run's status item; the tenant router and the
            // history function write small items of their own tables.
            boolean statusTable = STATUS_ITEM_WRITERS.contains(byRole.getKey());
            for (var e : byRole.getValue().entrySet()) {
                String op = e.getKey();
                double n = e.getValue();
                if (op.startsWith("DynamoDb.")) {
                    String name = op.substring("DynamoDb.".length());
                    if (name.endsWith("Item") && !name.equals("GetItem") || name.startsWith("Transact") || name.startsWith("Batch")) {
                        writes += n;
                        writeUnits += n * (statusTable ? wru : 1);
                    } else if (name.equals("Query") || name.equals("Scan")) {
                        reads += n;
                        readUnits += n; // registrations are small items
                    } else {
                        reads += n;
                        readUnits += n * (statusTable ? rru : 1);
                    }
                } else if (op.startsWith("Sns.")) {
                    publishes += n;
                } else if (op.startsWith("Sqs.")) {
                    sqs += n;
                } else if (op.startsWith("EventBridge.")) {
                    events += n;
                } else {
                    other += n;
                }
            }
        }
        lines.add(new Line("DynamoDB writes (" + fmt(writes) + " requests, " + wru + " WRU each on the status item, 1 on others)", writeUnits,
                writeUnits * Prices.DYNAMODB_WRU));
        lines.add(new Line("DynamoDB reads (" + fmt(reads) + " requests, " + rru + " RRU each on the status item, 1 on others)", readUnits,
                readUnits * Prices.DYNAMODB_RRU));
        lines.add(new Line("SNS publishes", publishes, publishes * Prices.SNS_PUBLISH));
        lines.add(new Line("SQS requests", sqs, sqs * Prices.SQS_REQUEST));
        lines.add(new Line("EventBridge events", events, events * Prices.EVENTBRIDGE_EVENT));
        if (other > 0) {
            lines.add(new Line("other API calls (unpriced)", other, 0));
        }
        double invocations = invocationsByRole.values().stream().mapToDouble(Double::doubleValue).sum();
        double apiCalls = callsByFunctionRole.entrySet().stream().filter(e -> !e.getKey().equals("plugins"))
                .flatMap(e -> e.getValue().values().stream()).mapToDouble(Double::doubleValue).sum();
        double gbSeconds = (invocations * Prices.MS_PER_INVOCATION + apiCalls * Prices.MS_PER_API_CALL) / 1000d
                * Prices.OUR_MEMORY_MB / 1024d;
        lines.add(new Line("Lambda requests (orchestrator functions)", invocations, invocations * Prices.LAMBDA_REQUEST));
        lines.add(new Line("Lambda GB-s (arm64, " + Prices.OUR_MEMORY_MB + " MB)", gbSeconds, gbSeconds * Prices.LAMBDA_GB_SECOND_ARM));
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
