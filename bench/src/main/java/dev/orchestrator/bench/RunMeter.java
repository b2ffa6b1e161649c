package dev.orchestrator.bench;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.testkit.CallCounter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything one run cost, measured on the emulator: write units from the status and history streams
 * ({@link StreamMeter}), read units and unrecorded or refused writes from the requests
 * ({@link RequestMeter}), API calls ({@link CallCounter}), invocations, and the bytes the handlers logged.
 * {@link #begin()} before the run, {@link #end(String)} once it is quiet.
 */
final class RunMeter implements AutoCloseable {

    /** One run's measurements. */
    record Run(String uid, StreamMeter.Tally status, StreamMeter.Tally history, long unrecordedStatusWrites,
               long unrecordedHistoryWrites, Map<String, Long> failedConditions, Map<String, double[]> reads,
               Map<String, Map<String, Long>> calls, Map<String, Long> invocations, Map<String, Long> logBytes, long pluginInvocations) {

        long statusRecords() {
            return status.records.values().stream().mapToLong(Long::longValue).sum();
        }

        long historyRecords() {
            return history.records.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Status table (incl. writes that changed nothing) + RunsIndex + history + refused conditional writes. */
        long writeUnits() {
            return status.total() + unrecordedStatusWrites + history.total() + unrecordedHistoryWrites
                    + failedConditions.values().stream().mapToLong(Long::longValue).sum();
        }

        long call(String role, String api) {
            return calls.getOrDefault(role, Map.of()).getOrDefault(api, 0L);
        }

        long calls(String role, String prefix) {
            return calls.getOrDefault(role, Map.of()).entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .mapToLong(Map.Entry::getValue).sum();
        }
    }

    private final BenchStack s;
    final CallCounter counter = new CallCounter(AwsClients.FUNCTION);
    final RequestMeter requests;
    private long logOffset;

    RunMeter(BenchStack s) {
        this.s = s;
        this.requests = new RequestMeter(s::role, s::tableName);
        AwsClients.observe(counter);
        AwsClients.observe(requests);
    }

    /** Forgets what came before: counts, stream records, invocations, log bytes. */
    void begin() {
        WorkflowCalls.awaitQuiet(counter, s);
        counter.reset();
        requests.reset();
        s.runtime.resetInvocations();
        s.pluginInvocations.set(0);
        s.statusStream.drain();
        s.historyStream.drain();
        logOffset = logSize();
    }

    /** Waits until nothing moves for 3 s past the longest stream batching window, then reads what the run cost. */
    Run end(String uid) {
        WorkflowCalls.awaitQuiet(counter, s);
        StreamMeter.Tally status = StreamMeter.Tally.of(s.statusStream.drain(), uid);
        StreamMeter.Tally history = StreamMeter.Tally.of(s.historyStream.drain(), uid);
        Run probe = new Run(uid, status, history, 0, 0, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), 0);
        long unrecordedStatus = Math.max(0, requests.writes("status", uid) - probe.statusRecords());
        long unrecordedHistory = Math.max(0, requests.writes("history", uid) - probe.historyRecords());
        Map<String, Map<String, Long>> calls = new TreeMap<>();
        counter.calls().forEach((c, n) -> calls.computeIfAbsent(s.role(c.function()), k -> new TreeMap<>()).merge(c.api(), n, Long::sum));
        Map<String, Long> invocations = new TreeMap<>();
        s.runtime.invocations().forEach((id, n) -> invocations.merge(BenchStack.roleOfLogicalId(id), n, Long::sum));
        long plugins = s.pluginInvocations.get();
        if (plugins > 0) { // multiplexed: one delivery ran every plugin
            invocations.put(BenchStack.PLUGINS, plugins);
        }
        return new Run(uid, status, history, unrecordedStatus, unrecordedHistory, requests.failedConditions(), requests.reads(), calls,
                invocations, logBytes(), invocations.getOrDefault(BenchStack.PLUGINS, 0L));
    }

    private static final Pattern FUNCTION_NAME = Pattern.compile("\"function_name\"\\s*:\\s*\"([^\"]*)\"");

    /**
     * Bytes the handlers wrote to stdout since {@link #begin()} (what Lambda ships to CloudWatch Logs),
     * by role: each JSON log line by its {@code function_name}, EMF metric lines apart; the local
     * runtime's own lines ({@code [local-lambda ...]}) are the harness, not a function's, and left out.
     */
    Map<String, Long> logBytes() {
        System.out.flush();
        Map<String, Long> out = new TreeMap<>();
        long end = logSize();
        if (end <= logOffset) {
            return out;
        }
        byte[] bytes = new byte[(int) (end - logOffset)];
        try (RandomAccessFile f = new RandomAccessFile(Bench.HANDLER_LOG.toFile(), "r")) {
            f.seek(logOffset);
            f.readFully(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the handler log " + Bench.HANDLER_LOG, e);
        }
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty() || line.startsWith("[local-lambda ")) {
                continue;
            }
            long n = line.getBytes(StandardCharsets.UTF_8).length + 1L;
            String role;
            if (line.contains("\"_aws\"")) {
                role = "metrics (EMF)";
            } else {
                Matcher m = FUNCTION_NAME.matcher(line);
                role = m.find() ? logRole(m.group(1)) : "other";
            }
            out.merge(role, n, Long::sum);
        }
        return out;
    }

    private String logRole(String functionName) {
        String role = s.role(functionName);
        if (role.startsWith("other:") && (functionName.startsWith("subscriber-") || functionName.startsWith(BenchStack.PLUGIN_FUNCTION_PREFIX))) {
            return BenchStack.PLUGINS;
        }
        return role;
    }

    private static long logSize() {
        try {
            return Files.exists(Bench.HANDLER_LOG) ? Files.size(Bench.HANDLER_LOG) : 0;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        AwsClients.stopObserving(counter);
        AwsClients.stopObserving(requests);
    }

    static Path path() {
        return Bench.HANDLER_LOG;
    }
}
