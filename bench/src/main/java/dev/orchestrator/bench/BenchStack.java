package dev.orchestrator.bench;

import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.Topics;
import dev.orchestrator.testkit.Emulator;
import dev.orchestrator.testkit.FunctionSpec;
import dev.orchestrator.testkit.LocalLambdaRuntime;
import dev.orchestrator.testkit.SamStack;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** template.yaml on a fresh emulator, handlers in-process, and the moves the benchmark makes. */
final class BenchStack implements AutoCloseable {

    /** Owner name of the benchmark plugins' SDK clients. */
    static final String PLUGINS = "plugins";
    /** Function name a multiplexed plugin's invocations carry in their context (and so in their log lines). */
    static final String PLUGIN_FUNCTION_PREFIX = "bench-plugin-";
    static final Set<String> TERMINAL = Set.of("Complete", "Error", "Optional Task Error");

    final Emulator emulator;
    final SamStack stack;
    final LocalLambdaRuntime runtime;
    final DynamoDbClient dynamo;
    final String statusTable;
    final PluginRegistry registry;
    final String pluginTable;
    final String historyTable;
    /** The write-unit meters: the status table's stream and the history table's (enabled here, see {@link #deploy}). */
    final StreamMeter statusStream;
    final StreamMeter historyStream;
    /** Plugin invocations of multiplexed subscriptions ({@link #registerParallel}). */
    final java.util.concurrent.atomic.AtomicLong pluginInvocations = new java.util.concurrent.atomic.AtomicLong();

    private BenchStack(Emulator emulator, SamStack stack) {
        this.emulator = emulator;
        this.stack = stack;
        this.dynamo = emulator.client(DynamoDbClient.builder());
        this.statusTable = stack.export(StackExports.name(stack.name(), StackExports.STATUS_TABLE));
        this.pluginTable = stack.export(StackExports.name(stack.name(), StackExports.PLUGIN_TABLE));
        this.registry = new PluginRegistry(dynamo, pluginTable);
        this.runtime = new LocalLambdaRuntime(emulator, stack);
        this.historyTable = function("HistoryFunction").environment().get("HISTORY_TABLE");
        // The history table has no stream of its own (nothing consumes it); the bench turns one on to meter its writes.
        dynamo.updateTable(b -> b.tableName(historyTable).streamSpecification(ss -> ss.streamEnabled(true)
                .streamViewType(software.amazon.awssdk.services.dynamodb.model.StreamViewType.NEW_AND_OLD_IMAGES)));
        var streams = emulator.client(software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient.builder());
        this.statusStream = new StreamMeter(dynamo, streams, statusTable);
        this.historyStream = new StreamMeter(dynamo, streams, historyTable);
    }

    /** Short name of a table: status, history, plugins, or the physical name. */
    String tableName(String physical) {
        if (physical.equals(statusTable)) {
            return "status";
        }
        if (physical.equals(historyTable)) {
            return "history";
        }
        return physical.equals(pluginTable) ? "plugins" : physical;
    }

    static BenchStack deploy(Path root, String name, List<String> activities, int defaultWindow) {
        return deploy(root, name, activities, defaultWindow, Map.of());
    }

    /** The stack with more template parameters ({@code extra}, e.g. EngineBatchingWindow) than the bench's own. */
    static BenchStack deploy(Path root, String name, List<String> activities, int defaultWindow, Map<String, String> extra) {
        Emulator emulator = new Emulator().start();
        try {
            Map<String, String> parameters = new LinkedHashMap<>(Map.of(
                    "StackTagName", name, "Activities", String.join(",", activities),
                    "DefaultRegisterTimeout", Integer.toString(defaultWindow)));
            parameters.putAll(extra);
            SamStack stack = SamStack.deploy(emulator, root.resolve("template.yaml"), name, parameters);
            return new BenchStack(emulator, stack);
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
    }

    /** Starts delivering events (stream, timers, SNS, rules) to the in-process handlers. */
    BenchStack start() {
        runtime.start();
        return this;
    }

    Map<String, String> pluginEnv() {
        Map<String, String> env = new LinkedHashMap<>(emulator.clientEnvironment());
        env.put("STATUS_TABLE", statusTable);
        env.put("AWS_LAMBDA_FUNCTION_NAME", PLUGINS);
        return env;
    }

    /** Subscribes {@code n} mandatory plugins to the activity's parallel topic and registers them, as the registrar would. */
    void registerParallel(String activity, int n) {
        String topic = stack.export(Topics.name(stack.name(), activity, Stage.PARALLEL));
        for (int i = 1; i <= n; i++) {
            BenchPlugin plugin = new BenchPlugin(pluginEnv(), activity + "-p" + i);
            String subscription = runtime.subscribe(topic, null, plugin, false);
            registry.register(PluginRegistration.of(activity, Stage.PARALLEL, subscription, "bench-" + plugin.info().pluginName(), plugin.info()));
        }
    }

    /**
     * Registers {@code n} mandatory plugins on the activity's parallel topic behind ONE subscription whose
     * in-process handler invokes each plugin with the delivered event ({@code threads} at a time), as SNS
     * would invoke n subscribed functions. Each plugin has its own registration (a distinct subscription
     * ARN in the plugin table: nothing reads it back on the path) and its own SDK client and writes. One
     * queue and one poller instead of n keeps the 2-core harness from polling n queues; the engine's side
     * is identical.
     */
    void registerParallelMultiplexed(String activity, int n, int threads) {
        String topic = stack.export(Topics.name(stack.name(), activity, Stage.PARALLEL));
        List<BenchPlugin> plugins = new java.util.ArrayList<>();
        for (int i = 1; i <= n; i++) {
            plugins.add(new BenchPlugin(pluginEnv(), activity + "-p" + i));
        }
        String subscription = runtime.subscribe(topic, null, new Multiplexer(plugins, threads, pluginInvocations), false);
        for (int i = 0; i < n; i++) {
            BenchPlugin plugin = plugins.get(i);
            registry.register(PluginRegistration.of(activity, Stage.PARALLEL, subscription + ":" + (i + 1), "bench-" + plugin.info().pluginName(),
                    plugin.info()));
        }
    }

    /** One SNS delivery handed to every plugin, as n subscriptions would deliver it. */
    static final class Multiplexer implements com.amazonaws.services.lambda.runtime.RequestStreamHandler {
        private final List<BenchPlugin> plugins;
        private final java.util.concurrent.ExecutorService pool;
        private final java.util.concurrent.atomic.AtomicLong invocations;

        Multiplexer(List<BenchPlugin> plugins, int threads, java.util.concurrent.atomic.AtomicLong invocations) {
            this.plugins = plugins;
            this.invocations = invocations;
            this.pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "bench-plugin");
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void handleRequest(java.io.InputStream input, java.io.OutputStream output,
                                  com.amazonaws.services.lambda.runtime.Context context) throws java.io.IOException {
            byte[] event = input.readAllBytes();
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (BenchPlugin p : plugins) {
                done.add(pool.submit(() -> {
                    invocations.incrementAndGet();
                    p.handleRequest(new java.io.ByteArrayInputStream(event), new java.io.ByteArrayOutputStream(),
                            new BenchContext(PLUGIN_FUNCTION_PREFIX + p.info().pluginName()));
                    return null;
                }));
            }
            for (var f : done) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.IOException(e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new java.io.IOException("a bench plugin failed", e.getCause());
                }
            }
            output.write("null".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    String startJson(String uid, String workflow, List<String> activities, int window) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"" + workflow + "\",\"activities\":["
                + String.join(",", activities.stream().map(a -> "\"" + a + "\"").toList()) + "],"
                + "\"pluginRegisterTimeout\":" + window + ",\"metadata\":{\"tier\":\"basic\"}}";
    }

    String startRun(String uid, String workflow, List<String> activities, int window) {
        return runtime.invoke("StartWorkflowFunction", startJson(uid, workflow, activities, window));
    }

    /** Starts a run from a request written in full (e.g. one with a map). */
    String startRaw(String json) {
        return runtime.invoke("StartWorkflowFunction", json);
    }

    Map<String, AttributeValue> item(String uid, String workflow) {
        return dynamo.getItem(b -> b.tableName(statusTable).consistentRead(true)
                .key(Map.of("uid", AttributeValue.fromS(uid), "workflow", AttributeValue.fromS(workflow)))).item();
    }

    /** Polls the run until its status is terminal; returns the status. */
    String awaitEnd(String uid, String workflow, long timeoutMillis, long pollMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            Map<String, AttributeValue> item = item(uid, workflow);
            AttributeValue status = item == null ? null : item.get("status");
            if (status != null && TERMINAL.contains(status.s())) {
                return status.s();
            }
            sleep(pollMillis);
        }
        throw new IllegalStateException("run " + uid + "/" + workflow + " did not end within " + timeoutMillis + " ms; failed deliveries: "
                + runtime.failedDeliveries());
    }

    /** Role of a client owner / function: engine, start, tenant, registrar, history, plugins. */
    String role(String functionName) {
        for (FunctionSpec f : stack.functions().values()) {
            if (f.functionName().equals(functionName)) {
                return roleOfLogicalId(f.logicalId());
            }
        }
        return functionName.equals(PLUGINS) ? PLUGINS : "other:" + functionName;
    }

    static String roleOfLogicalId(String logicalId) {
        return switch (logicalId) {
            case "EngineFunction" -> "engine";
            case "StartWorkflowFunction" -> "start";
            case "TenantRouterFunction" -> "tenant";
            case "RegistrarFunction" -> "registrar";
            case "HistoryFunction" -> "history";
            default -> logicalId.startsWith("subscriber-") ? PLUGINS : logicalId;
        };
    }

    FunctionSpec function(String logicalId) {
        return stack.functions().get(logicalId);
    }

    /** The function's memory size as deployed (the template's MemorySize, Globals included). */
    int memoryMb(String logicalId) {
        return memoryMb(emulator, function(logicalId));
    }

    static int memoryMb(Emulator emulator, FunctionSpec f) {
        Integer mb = emulator.client(software.amazon.awssdk.services.lambda.LambdaClient.builder())
                .getFunctionConfiguration(b -> b.functionName(f.functionName())).memorySize();
        if (mb == null) {
            throw new IllegalStateException(f.logicalId() + " has no memory size in its deployed configuration");
        }
        return mb;
    }

    /** Approximate stored size of an item (attribute names plus values), as DynamoDB sizes it for capacity. */
    static int size(Map<String, AttributeValue> item) {
        int n = 0;
        for (var e : item.entrySet()) {
            n += e.getKey().length() + size(e.getValue());
        }
        return n;
    }

    private static int size(AttributeValue v) {
        if (v.s() != null) {
            return v.s().length();
        }
        if (v.n() != null) {
            return v.n().length();
        }
        if (v.bool() != null || v.nul() != null) {
            return 1;
        }
        if (v.hasM()) {
            return 3 + size(v.m()) + v.m().size();
        }
        if (v.hasL()) {
            return 3 + v.l().stream().mapToInt(x -> 1 + size(x)).sum();
        }
        if (v.hasSs()) {
            return v.ss().stream().mapToInt(String::length).sum();
        }
        return 8;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        runtime.close();
        emulator.close();
    }

    /** The longest MaximumBatchingWindowInSeconds of the stack's stream event sources, as deployed. */
    int longestBatchingWindowSeconds() {
        int longest = 0;
        for (String id : new String[] {"EngineFunction", "HistoryFunction"}) {
            for (var source : runtime.function(id).sources()) {
                longest = Math.max(longest, source.path("batchingWindowSeconds").asInt(0));
            }
        }
        return longest;
    }
}
