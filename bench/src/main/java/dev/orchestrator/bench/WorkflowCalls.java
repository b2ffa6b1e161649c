package dev.orchestrator.bench;

import dev.orchestrator.testkit.CallCounter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** API calls and invocations per workflow of 3 activities x 6 parallel plugins, averaged over runs. */
final class WorkflowCalls {

    static final List<String> ACTIVITIES = List.of("BenchA", "BenchB", "BenchC");
    static final int PLUGINS_PER_ACTIVITY = 6;
    /** The registration window of the measured runs: the stack's default (DefaultRegisterTimeout, 0 s). */
    static final int WINDOW = 0;

    /** Per-workflow averages: role -> "Service.Operation" -> calls; role -> invocations; lost engine writes; and each run's meter. */
    record Result(Map<String, Map<String, Double>> calls, Map<String, Double> invocations, double lostEngineWrites,
                  List<RunMeter.Run> measured, int runs, List<StageWaits.Wait> waits, List<Long> endToEndMillis) {

        long medianEndToEnd() {
            List<Long> sorted = endToEndMillis.stream().sorted().toList();
            return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
        }
    }

    private WorkflowCalls() {
    }

    static Result measure(Path root, int runs) {
        return measure(root, runs, "bench", Map.of());
    }

    /** The same on a stack deployed with these template parameters on top of the bench's own. */
    static Result measure(Path root, int runs, String stackName, Map<String, String> parameters) {
        try (BenchStack s = BenchStack.deploy(root, stackName, ACTIVITIES, WINDOW, parameters).start(); RunMeter meter = new RunMeter(s)) {
            for (String a : ACTIVITIES) {
                s.registerParallel(a, PLUGINS_PER_ACTIVITY);
            }
            Map<String, Map<String, Double>> calls = new TreeMap<>();
            Map<String, Double> invocations = new TreeMap<>();
            List<RunMeter.Run> measured = new java.util.ArrayList<>();
            double lost = 0;
            List<StageWaits.Wait> waits = new java.util.ArrayList<>();
            List<Long> endToEnd = new java.util.ArrayList<>();
            dev.orchestrator.core.StatusStore store = new dev.orchestrator.core.StatusStore(s.dynamo, s.statusTable);
            for (int r = 1; r <= runs; r++) {
                meter.begin();
                String uid = "wf-" + r;
                long started = System.currentTimeMillis();
                s.startRun(uid, "bench", ACTIVITIES, WINDOW);
                String status = s.awaitEnd(uid, "bench", 180_000, 50);
                endToEnd.add(System.currentTimeMillis() - started);
                if (!status.equals("Complete")) {
                    throw new IllegalStateException("benchmark run " + uid + " ended " + status);
                }
                RunMeter.Run run = meter.end(uid);
                waits.addAll(StageWaits.of(store.get(uid, "bench").orElseThrow())); // read after the meter stopped: not billed to the run
                measured.add(run);
                run.calls().forEach((role, byApi) -> byApi.forEach((api, n) -> calls.computeIfAbsent(role, k -> new TreeMap<>())
                        .merge(api, n / (double) runs, Double::sum)));
                run.invocations().forEach((role, n) -> invocations.merge(role, n / (double) runs, Double::sum));
                lost += run.failedConditions().getOrDefault("engine", 0L) / (double) runs;
                System.err.printf("  run %d of %d: %s, engine %d calls, %d invocations, %d write units%n", r, runs, status,
                        run.calls().getOrDefault("engine", Map.of()).values().stream().mapToLong(Long::longValue).sum(),
                        run.invocations().getOrDefault("engine", 0L), run.writeUnits());
            }
            return new Result(calls, invocations, lost, measured, runs, waits, endToEnd);
        }
    }

    /** Until nothing was called or invoked for 3 s: trailing stream records of a run are part of its cost. */
    static void awaitQuiet(CallCounter counter, BenchStack s) {
        // Quiet for 3 s longer than the longest stream batching window (HistoryBatchingWindow holds the history
        // function's last writes that long): the run's cost is read only once every function has written it.
        long quietMs = 3000 + 1000L * s.longestBatchingWindowSeconds();
        long last = -1;
        long since = System.currentTimeMillis();
        long deadline = since + 60_000 + quietMs;
        while (System.currentTimeMillis() < deadline) {
            long now = counter.calls().values().stream().mapToLong(Long::longValue).sum()
                    + s.runtime.invocations().values().stream().mapToLong(Long::longValue).sum();
            if (now != last) {
                last = now;
                since = System.currentTimeMillis();
            } else if (System.currentTimeMillis() - since > quietMs) {
                return;
            }
            BenchStack.sleep(200);
        }
    }
}
