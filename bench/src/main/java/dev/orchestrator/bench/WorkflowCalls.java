package dev.orchestrator.bench;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.testkit.CallCounter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** API calls and invocations per workflow of 3 activities x 6 parallel plugins, averaged over runs. */
final class WorkflowCalls {

    static final List<String> ACTIVITIES = List.of("BenchA", "BenchB", "BenchC");
    static final int PLUGINS_PER_ACTIVITY = 6;

    /** Per-workflow averages: role -> "Service.Operation" -> calls; role -> invocations; lost engine writes; item size. */
    record Result(Map<String, Map<String, Double>> calls, Map<String, Double> invocations, double lostEngineWrites,
                  int statusItemBytes, int runs) {
    }

    private WorkflowCalls() {
    }

    static Result measure(Path root, int runs) {
        CallCounter counter = new CallCounter(AwsClients.FUNCTION);
        AwsClients.observe(counter);
        try (BenchStack s = BenchStack.deploy(root, "bench", ACTIVITIES, 2).start()) {
            for (String a : ACTIVITIES) {
                s.registerParallel(a, PLUGINS_PER_ACTIVITY);
            }
            String engine = s.function("EngineFunction").functionName();
            Map<String, Map<String, Double>> calls = new TreeMap<>();
            Map<String, Double> invocations = new TreeMap<>();
            double lost = 0;
            int size = 0;
            for (int r = 1; r <= runs; r++) {
                counter.reset();
                s.runtime.resetInvocations();
                String uid = "wf-" + r;
                s.startRun(uid, "bench", ACTIVITIES, 2);
                String status = s.awaitEnd(uid, "bench", 180_000, 200);
                if (!status.equals("Complete")) {
                    throw new IllegalStateException("benchmark run " + uid + " ended " + status);
                }
                awaitQuiet(counter, s);
                counter.calls().forEach((c, n) -> calls.computeIfAbsent(s.role(c.function()), k -> new TreeMap<>())
                        .merge(c.api(), n / (double) runs, Double::sum));
                s.runtime.invocations().forEach((id, n) -> invocations.merge(BenchStack.roleOfLogicalId(id), n / (double) runs, Double::sum));
                lost += counter.errorsOf(engine, "ConditionalCheckFailedException") / (double) runs;
                size = Math.max(size, BenchStack.size(s.item(uid, "bench")));
                System.err.printf("  run %d of %d: %s, engine %d calls, %d invocations%n", r, runs, status, counter.totalOf(engine),
                        s.runtime.invocations("EngineFunction"));
            }
            return new Result(calls, invocations, lost, size, runs);
        } finally {
            AwsClients.stopObserving(counter);
        }
    }

    /** Until nothing was called or invoked for 3 s: trailing stream records of a run are part of its cost. */
    static void awaitQuiet(CallCounter counter, BenchStack s) {
        long last = -1;
        long since = System.currentTimeMillis();
        long deadline = since + 60_000;
        while (System.currentTimeMillis() < deadline) {
            long now = counter.calls().values().stream().mapToLong(Long::longValue).sum()
                    + s.runtime.invocations().values().stream().mapToLong(Long::longValue).sum();
            if (now != last) {
                last = now;
                since = System.currentTimeMillis();
            } else if (System.currentTimeMillis() - since > 3000) {
                return;
            }
            BenchStack.sleep(200);
        }
    }
}
