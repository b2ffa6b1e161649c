package dev.orchestrator.bench;

import dev.orchestrator.testkit.SamStack;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The benchmark (scripts/bench): on the local emulator, prints what one workflow of 3 activities x 6
 * parallel plugins costs in API calls and Lambda invocations, that priced per million workflows beside
 * two reference layouts, each function's cold start as a ratio to a hello-world handler (and the engine's and
 * the example plugin's again as traced invocations, with tracing's difference), and the
 * end-to-end time of one activity with N parallel plugins beside the emulator's floor, and the size of the
 * layer and of each function's package ({@link PackageSizes}).
 *
 * <p>Options: {@code --runs N} (workflows averaged, 3), {@code --cold N} (fresh JVMs per function, 5),
 * {@code --fanout 1,10,50,100,1000}, {@code --batching 0,1} (the engine's stream batching windows compared),
 * {@code --map 100,1000} (elements of a map over a list: its cost per element, {@link MapCost}), {@code --map-from s3,metadata}
 * (where those lists come from),
 * {@code --only size,calls,batching,cold,fanout,map}, {@code --no-jvm-options} (cold starts without template.yaml's
 * JAVA_TOOL_OPTIONS, to see what they buy).
 */
public final class Bench {

    private Bench() {
    }

    /** Where the report goes; the in-process handlers' logs and metrics go to a file instead. */
    static PrintStream out = System.out;
    /** Where the in-process handlers' stdout goes (what Lambda would ship to CloudWatch Logs). */
    static final Path HANDLER_LOG = Path.of("bench/target/bench-handlers.log").toAbsolutePath();

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Path handlerLog = HANDLER_LOG;
        Files.createDirectories(handlerLog.getParent());
        System.setOut(new PrintStream(Files.newOutputStream(handlerLog), true, java.nio.charset.StandardCharsets.UTF_8));
        System.err.println("handler logs and metrics: " + handlerLog);
        Path root = Path.of(opts.getOrDefault("root", ".")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("template.yaml"))) {
            throw new IllegalArgumentException("run from the repository root (no template.yaml in " + root + ")");
        }
        int runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
        int cold = Integer.parseInt(opts.getOrDefault("cold", "5"));
        List<Integer> fan = Arrays.stream(opts.getOrDefault("fanout", "1,10,50,100,1000").split(",")).map(String::trim).map(Integer::parseInt).toList();
        List<Integer> batching = Arrays.stream(opts.getOrDefault("batching", "0,1").split(",")).map(String::trim).map(Integer::parseInt).toList();
        Set<String> only = new TreeSet<>(Arrays.asList(opts.getOrDefault("only", "size,calls,batching,cold,fanout,map").split(",")));
        Set<String> unknown = new TreeSet<>(only);
        unknown.removeAll(Set.of("size", "calls", "batching", "cold", "fanout", "map"));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--only: unknown section(s) " + unknown + "; sections: size, calls, batching, cold, fanout, map");
        }
        boolean jvmOptions = !opts.containsKey("no-jvm-options");

        out.println("# Orchestrator benchmark (emulator: moto_server on loopback, handlers in-process; "
                + Runtime.getRuntime().availableProcessors() + " CPUs, Java " + System.getProperty("java.version") + ")");
        try {
            if (only.contains("size")) {
                PackageSizes.print(root, out);
            }
            if (only.contains("calls")) {
                calls(root, runs);
            }
            if (only.contains("batching")) {
                batching(root, runs, batching);
            }
            if (only.contains("cold")) {
                cold(root, cold, jvmOptions);
            }
            if (only.contains("fanout")) {
                fanout(root, fan);
            }
            if (only.contains("map")) {
                map(root, Arrays.stream(opts.getOrDefault("map", "100,1000").split(",")).map(String::trim).map(Integer::parseInt).toList(),
                        mapSources(opts.getOrDefault("map-from", "s3,metadata")));
            }
        } catch (RuntimeException | Error e) {
            e.printStackTrace();
            out.flush();
            System.exit(1); // a failed deploy leaves the emulator's HTTP threads alive; do not hang on them
        }
        out.flush();
        System.exit(0); // pollers and emulators are closed; do not wait for stray daemon threads
    }

    // ------------------------------------------------------------------ calls and cost

    static void calls(Path root, int runs) {
        System.err.println("calls: 3 activities x 6 parallel plugins, " + runs + " run(s)");
        WorkflowCalls.Result r = WorkflowCalls.measure(root, runs);
        out.println();
        out.printf("## API calls and Lambda invocations per workflow (3 activities x 6 mandatory parallel plugins, mean of %d runs)%n%n", r.runs());
        out.println("| function | call | per workflow |");
        out.println("|---|---|---:|");
        double total = 0;
        for (var byRole : r.calls().entrySet()) {
            double sum = 0;
            for (var e : byRole.getValue().entrySet()) {
                out.printf("| %s | %s | %s |%n", byRole.getKey(), e.getKey(), num(e.getValue()));
                sum += e.getValue();
            }
            out.printf("| %s | **all API calls** | **%s** |%n", byRole.getKey(), num(sum));
            total += sum;
        }
        out.printf("| all | **API calls** | **%s** |%n", num(total));
        out.printf("| engine | lost conditional writes (ConditionalCheckFailed) | %s |%n", num(r.lostEngineWrites()));
        for (var e : r.invocations().entrySet()) {
            out.printf("| %s | Lambda invocations | %s |%n", e.getKey(), num(e.getValue()));
        }
        // Each activity's parallel stage is the one with plugins (pre and post have none here): one entry each.
        double publishes = r.calls().getOrDefault("engine", Map.of()).getOrDefault("Sns.Publish", 0d);
        out.printf("%nSNS publishes per stage entry: %s (%s publishes, %d parallel stages entered per workflow; 1.00 means no stage"
                + " was published twice).%n", String.format("%.2f", publishes / WorkflowCalls.ACTIVITIES.size()), num(publishes),
                WorkflowCalls.ACTIVITIES.size());
        long waited = r.waits().stream().mapToLong(StageWaits.Wait::windowWaited).max().orElse(0);
        long[] gaps = r.waits().stream().mapToLong(StageWaits.Wait::gap).sorted().toArray();
        out.printf("%nWindow waited after all expected plugins ended: %d ms (the most any of the %d parallel stages, each with a %d s"
                        + " registration window and every plugin registered, waited for its window once its last plugin had ended). Stage end"
                        + " after the last plugin's end (the stream hop):"
                        + " median %d ms, max %d ms.%n", waited, r.waits().size(), WorkflowCalls.WINDOW,
                gaps.length == 0 ? 0 : gaps[gaps.length / 2], gaps.length == 0 ? 0 : gaps[gaps.length - 1]);
        meterTables(r.measured());

        List<CostModel.Layout> layouts = List.of(
                CostModel.ours(r.measured()),
                CostModel.original(),
                CostModel.plainStepFunctions(WorkflowCalls.ACTIVITIES.size(), WorkflowCalls.PLUGINS_PER_ACTIVITY));
        out.println();
        out.println("## Cost per million workflows (list prices, us-east-1, on demand)");
        out.println();
        out.println("| layout | item | per workflow | per million workflows |");
        out.println("|---|---|---:|---:|");
        for (CostModel.Layout l : layouts) {
            for (CostModel.Line line : l.lines()) {
                out.printf("| %s | %s: %s | $%.8f | $%.2f |%n", l.name(), line.what(), num(line.quantity()), line.dollars(),
                        line.dollars() * Prices.PER_MILLION);
            }
            out.printf("| %s | **total** | **$%.8f** | **$%.2f** |%n", l.name(), l.perWorkflow(), l.perMillion());
        }
        double ours = layouts.get(0).perMillion();
        out.printf("%nGoal (issue 20): <= $%.2f per million 3x6 workflows (1/20 of the original's $%.2f). Measured: $%.2f, %s;"
                        + " %.1f%% of the original, %.1f%% of plain Step Functions.%n",
                Prices.GOAL_PER_MILLION, layouts.get(1).perMillion(), ours, ours <= Prices.GOAL_PER_MILLION ? "MET" : "NOT MET",
                100 * ours / layouts.get(1).perMillion(), 100 * ours / layouts.get(2).perMillion());
        out.println();
        out.println("Prices (bench/src/main/java/dev/orchestrator/bench/Prices.java): Lambda $0.20/M requests, $"
                + plain(Prices.LAMBDA_GB_SECOND_ARM) + "/GB-s arm64, $" + plain(Prices.LAMBDA_GB_SECOND_X86) + "/GB-s x86_64; DynamoDB on demand $0.625/M WRU,"
                + " $0.125/M RRU; SNS $0.50/M publishes (delivery to Lambda free); SQS $0.40/M requests; EventBridge $1.00/M events;"
                + " CloudWatch Logs $0.50/GB ingested; DynamoDB Streams reads by Lambda triggers free; Step Functions Standard $25/M transitions.");
        out.println("Assumptions: free tiers ignored; every message < 64 KB; each write costs ceil(max(old, new item)/1 KB) WRU from the"
                + " table's stream images (DynamoDB's item size rules), RunsIndex writes as DynamoDB maintains a GSI (none when its keys and"
                + " projected attributes are unchanged, a put when they change, a delete + a put when its key changes), writes that changed"
                + " nothing (no stream record) and refused conditional writes 1 WRU each; reads ceil(items/4 KB) RRU per GetItem/Query page"
                + " (per item for BatchGetItem), strongly consistent as the code asks; each timer is one SQS send, one receive and one delete"
                + " (the event source mapping's empty long polls are a fixed cost per deployment, not per workflow); CloudWatch Logs = the"
                + " bytes the handlers wrote to stdout (JSON logs, EMF lines; the plugin library's lines included) + "
                + num(Prices.PLATFORM_LOG_BYTES_PER_INVOCATION) + " B of Lambda platform lines per orchestrator invocation;"
                + " our billed Lambda time = " + num(Prices.MS_PER_INVOCATION) + " ms per invocation + " + num(Prices.MS_PER_API_CALL)
                + " ms per AWS call it makes, at " + Prices.OUR_MEMORY_MB + " MB arm64; plugins' own invocations and work are the same in"
                + " every layout and left out of all (their status writes are in ours); the original's Lambda waits "
                + num(Prices.ORIGINAL_WAIT_SECONDS) + " s in each of the " + Prices.ORIGINAL_PARALLEL_STAGES + " parallel stages at "
                + Prices.ORIGINAL_WAIT_MEMORY_MB + " MB x86_64 (the seed does not state its memory) and its own DynamoDB/SNS calls are"
                + " not counted (a lower bound); plain Step Functions = one Parallel state per activity with one lambda:invoke Task per"
                + " plugin, no other states.");
    }

    /**
     * The engine's stream batching window (template parameter EngineBatchingWindow) traded against end-to-end
     * time: the 3x6 workflow measured on one stack per setting.
     */
    static void batching(Path root, int runs, List<Integer> windows) {
        out.println();
        out.printf("## Engine stream batching window: end to end vs engine work and cost (3x6 workflow, %d run(s) per setting)%n%n", runs);
        out.println("| EngineBatchingWindow | median end to end ms | engine invocations | engine API calls | lost engine writes | cost per million workflows |");
        out.println("|---:|---:|---:|---:|---:|---:|");
        for (int w : windows) {
            System.err.println("batching: EngineBatchingWindow=" + w + ", " + runs + " run(s)");
            WorkflowCalls.Result r = WorkflowCalls.measure(root, runs, "bench-bw" + w, Map.of("EngineBatchingWindow", Integer.toString(w)));
            double engineCalls = r.calls().getOrDefault("engine", Map.of()).values().stream().mapToDouble(Double::doubleValue).sum();
            out.printf("| %d s | %d | %s | %s | %s | $%.2f |%n", w, r.medianEndToEnd(), num(r.invocations().getOrDefault("engine", 0d)),
                    num(engineCalls), num(r.lostEngineWrites()), CostModel.ours(r.measured()).perMillion());
        }
        out.println();
        out.println("A longer window gathers more of a run's writes into one engine invocation (fewer invocations and lost"
                + " conditional writes) and adds up to the window to each stage hop. The template's default is 0 s, chosen from"
                + " this table (README, EngineBatchingWindow).");
    }

    /** The write-unit meter's tables: by item kind, index partitions, reads, log bytes (means per workflow). */
    static void meterTables(List<RunMeter.Run> runs) {
        int n = runs.size();
        Map<String, double[]> byKind = new TreeMap<>(); // kind -> {records, WRU}
        long largest = 0;
        String largestKind = "-";
        double index = 0;
        double placeholders = 0;
        double unrecorded = 0;
        double refused = 0;
        Map<String, Long> partitions = new TreeMap<>();
        double shareSum = 0;
        for (RunMeter.Run r : runs) {
            for (StreamMeter.Tally t : List.of(r.status(), r.history())) {
                t.records.forEach((k, v) -> byKind.computeIfAbsent(k, x -> new double[2])[0] += v / (double) n);
                t.wru.forEach((k, v) -> byKind.computeIfAbsent(k, x -> new double[2])[1] += v / (double) n);
                if (t.largestItem > largest) {
                    largest = t.largestItem;
                    largestKind = t.largestKind;
                }
            }
            index += r.status().indexWru / (double) n;
            placeholders += r.status().placeholders / (double) n;
            unrecorded += (r.unrecordedStatusWrites() + r.unrecordedHistoryWrites()) / (double) n;
            refused += r.failedConditions().values().stream().mapToLong(Long::longValue).sum() / (double) n;
            r.status().indexByPartition.forEach((k, v) -> partitions.merge(k, v, Long::sum));
            shareSum += r.status().largestPartition().getValue();
        }
        double total = byKind.values().stream().mapToDouble(v -> v[1]).sum() + index + unrecorded + refused;
        out.println();
        out.printf("## Write units per workflow, read back from the status and history tables' streams (mean of %d runs)%n%n", n);
        out.println("| item kind | item writes | write units |");
        out.println("|---|---:|---:|");
        byKind.forEach((k, v) -> out.printf("| %s | %s | %s |%n", k, num(v[0]), num(v[1])));
        out.printf("| RunsIndex (index writes) | | %s |%n", num(index));
        out.printf("| writes that changed nothing (no stream record, 1 each) | %s | %s |%n", num(unrecorded), num(unrecorded));
        out.printf("| refused conditional writes (1 each) | %s | %s |%n", num(refused), num(refused));
        out.printf("| **all** | | **%s** |%n", num(total));
        out.printf("%nNot billed, not counted: %s bare-keys INSERT records per workflow, moto's extra record of an UpdateItem that"
                + " creates its item (DynamoDB records and bills that write once).%n", num(placeholders));
        out.printf("%nLargest item written: %,d bytes (%s). Write units per plugin execution: %s (%d plugin executions per workflow).%n",
                largest, largestKind, String.format("%.2f", total / (WorkflowCalls.ACTIVITIES.size() * WorkflowCalls.PLUGINS_PER_ACTIVITY)),
                WorkflowCalls.ACTIVITIES.size() * WorkflowCalls.PLUGINS_PER_ACTIVITY);
        long indexAll = partitions.values().stream().mapToLong(Long::longValue).sum();
        var top = partitions.entrySet().stream().max(Map.Entry.comparingByValue()).orElse(Map.entry("-", 0L));
        out.printf("RunsIndex: the largest partition takes %.0f%% of one workflow's index writes (mean over runs; a run's writes go to"
                        + " active#<shard of its uid> until it ends, then <status>#<shard>); over the %d runs, partition '%s' took %d of %d (%.0f%%)"
                        + " across %d partitions.%n",
                100 * shareSum / n, n, top.getKey(), top.getValue(), indexAll, indexAll == 0 ? 0 : 100d * top.getValue() / indexAll, partitions.size());

        Map<String, double[]> reads = new TreeMap<>();
        Map<String, Double> logs = new TreeMap<>();
        for (RunMeter.Run r : runs) {
            r.reads().forEach((k, v) -> {
                double[] a = reads.computeIfAbsent(k, x -> new double[3]);
                for (int i = 0; i < 3; i++) {
                    a[i] += v[i] / n;
                }
            });
            r.logBytes().forEach((k, v) -> logs.merge(k, v / (double) n, Double::sum));
        }
        out.println();
        out.println("| reads by | table | requests | items returned | read units |");
        out.println("|---|---|---:|---:|---:|");
        reads.forEach((k, v) -> {
            String[] p = k.split("\\|", 2);
            out.printf("| %s | %s | %s | %s | %s |%n", p[0], p[1], num(v[0]), num(v[1]), num(v[2]));
        });
        out.println();
        out.println("| logged to stdout by | bytes per workflow |");
        out.println("|---|---:|");
        logs.forEach((k, v) -> out.printf("| %s | %,.0f |%n", k, v));
        out.printf("| **all** | **%,.0f** |%n", logs.values().stream().mapToDouble(Double::doubleValue).sum());
    }

    // ------------------------------------------------------------------ cold start

    static void cold(Path root, int samples, boolean jvmOptions) {
        System.err.println("cold: deploying the stack once for the functions' environments");
        try (BenchStack s = BenchStack.deploy(root, "cold", WorkflowCalls.ACTIVITIES, 10)) {
            SamStack plugin = SamStack.deploy(s.emulator, root.resolve("plugins-examples/welcome-email/template.yaml"), "cold-welcome",
                    Map.of("OrchestratorStackName", "cold", "Activity", "BenchA",
                            "OrchestratorLayer", "/dev/orchestrator/stacks/cold/layer")); // the Parameter Store key the stack writes
            s.runtime.add(plugin); // the registrar's initialize invoke reaches it through the runtime's Lambda endpoint
            Map<String, String> client = new LinkedHashMap<>(s.emulator.clientEnvironment());
            client.put("LAMBDA_ENDPOINT_URL", s.runtime.lambdaEndpoint());
            s.runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}"); // samples then measure the steady state
            List<String> all = WorkflowCalls.ACTIVITIES;
            List<ColdStart.Target> targets = new ArrayList<>();
            targets.add(new ColdStart.Target("EngineFunction", ColdStart.moduleClasspath(root, "functions/engine"),
                    "dev.orchestrator.engine.EngineHandler", ColdStart.lambdaEnv(s.function("EngineFunction"), client, jvmOptions), s.memoryMb("EngineFunction"), i -> {
                        String uid = "cold-engine-" + i;
                        s.startRun(uid, "cold", all, 600);
                        // The record the stream delivers for that put: its new image is the whole item.
                        var key = dev.orchestrator.core.ItemCodec.key(uid, "cold");
                        var item = s.dynamo.getItem(b -> b.tableName(s.statusTable).key(key).consistentRead(true)).item();
                        return dev.orchestrator.testkit.LambdaEvents.streamInsert(key, item, "1" + System.nanoTime());
                    }));
            targets.add(new ColdStart.Target("StartWorkflowFunction", ColdStart.moduleClasspath(root, "functions/workflow-start"),
                    "dev.orchestrator.start.StartWorkflowHandler", ColdStart.lambdaEnv(s.function("StartWorkflowFunction"), client, jvmOptions),
                    s.memoryMb("StartWorkflowFunction"), i -> s.startJson("cold-start-" + i, "cold", all, 600)));
            targets.add(new ColdStart.Target("TenantRouterFunction", ColdStart.moduleClasspath(root, "functions/tenant"),
                    "dev.orchestrator.tenant.TenantRouterHandler", ColdStart.lambdaEnv(s.function("TenantRouterFunction"), client, jvmOptions),
                    s.memoryMb("TenantRouterFunction"), i -> "{\"version\":\"0\",\"id\":\"cold-" + i + "-" + System.nanoTime() + "\",\"detail-type\":\"Workflow Completed\","
                            + "\"source\":\"orchestrator\",\"account\":\"123456789012\",\"time\":\"2026-11-22T10:00:00Z\",\"region\":\"us-east-1\","
                            + "\"resources\":[],\"detail\":{\"uid\":\"tenant-" + i + "\",\"workflow\":\"tenant-onboarding\",\"status\":\"Complete\","
                            + "\"metadata\":{\"tenantId\":\"tenant-" + i + "-" + System.nanoTime() + "\",\"tier\":\"premium\"}}}"));
            targets.add(new ColdStart.Target("RegistrarFunction", ColdStart.moduleClasspath(root, "functions/registrar"),
                    "dev.orchestrator.registrar.RegistrarHandler", ColdStart.lambdaEnv(s.function("RegistrarFunction"), client, jvmOptions),
                    s.memoryMb("RegistrarFunction"), i -> "{\"action\":\"reconcile\"}"));
            targets.add(new ColdStart.Target("example plugin (welcome-email)", ColdStart.moduleClasspath(root, "plugins-examples/welcome-email"),
                    "dev.orchestrator.examples.WelcomeEmailPlugin",
                    ColdStart.lambdaEnv(plugin.functions().values().iterator().next(), client, jvmOptions),
                    BenchStack.memoryMb(s.emulator, plugin.functions().values().iterator().next()), i -> {
                        String uid = "cold-plugin-" + i;
                        s.startRun(uid, "cold", List.of("BenchA"), 600);
                        s.runtime.invoke("EngineFunction", streamInsert(uid, "cold")); // opens BenchA's parallel stage
                        return snsStage(uid, "cold", "BenchA");
                    }));
            // Tracing's cost: the engine and the plugin again, as a sampled invocation under X-Ray active tracing sees
            // them (a trace header with Sampled=1 and the daemon's address), sending their subsegments to a UDP
            // listener on loopback standing in for the X-Ray daemon.
            java.net.DatagramSocket daemon = xrayDaemon();
            Map<String, String> traced = Map.of(dev.orchestrator.obs.Trace.DAEMON_ADDRESS, "127.0.0.1:" + daemon.getLocalPort(),
                    dev.orchestrator.obs.Trace.HEADER_VARIABLE, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
            for (ColdStart.Target t : List.copyOf(targets)) {
                if (t.name().equals("EngineFunction") || t.name().startsWith("example plugin")) {
                    Map<String, String> env = new LinkedHashMap<>(t.env());
                    env.putAll(traced);
                    // Right after the untraced one: each traced sample runs next to its untraced twin.
                    // Its own runs (sample numbers from 100,000): the same run twice would find its work done.
                    targets.add(targets.indexOf(t) + 1, new ColdStart.Target(t.name() + ", traced", t.classpath(), t.handler(), env,
                            t.memoryMb(), i -> t.event().apply(100_000 + i)));
                }
            }
            Map<String, String> baseEnv = new LinkedHashMap<>(client);
            baseEnv.put("STATUS_TABLE", s.statusTable);
            baseEnv.put("AWS_LAMBDA_FUNCTION_NAME", "hello");
            baseEnv.put("JAVA_TOOL_OPTIONS", "");
            ColdStart.Target baseline = new ColdStart.Target("hello-world baseline", ColdStart.moduleClasspath(root, "layer"),
                    HelloDynamo.class.getName(), baseEnv, 0, i -> "cold-hello-" + i);
            List<ColdStart.Result> results = ColdStart.measure(targets, baseline, root.resolve("bench/target/classes"), samples);
            out.println();
            out.printf("## Cold start: fresh JVM to handler return, %d JVMs each%s%n%n", samples,
                    jvmOptions ? ", with each template's JAVA_TOOL_OPTIONS" : ", WITHOUT JAVA_TOOL_OPTIONS (--no-jvm-options)");
            out.println("| function | memory | JAVA_TOOL_OPTIONS | min ms | median ms | median - baseline's ms | ratio to baseline (min) | ratio (median) |");
            out.println("|---|---:|---|---:|---:|---:|---:|---:|");
            for (ColdStart.Result c : results) {
                out.printf("| %s | %d MB | %s | %d | %d | %d | %.2fx | %.2fx |%n", c.name(), c.memoryMb(), c.jvmOptions(), c.min(), c.median(),
                        c.overBaselineMedian(), c.ratioMin(), c.ratioMedian());
            }
            Map<String, Long> medians = new LinkedHashMap<>();
            results.forEach(c -> medians.put(c.name(), c.median()));
            List<String> costs = new ArrayList<>();
            medians.forEach((name, median) -> {
                String untraced = name.endsWith(", traced") ? name.substring(0, name.length() - ", traced".length()) : null;
                if (untraced != null && medians.containsKey(untraced)) {
                    costs.add(untraced + ": " + String.format("%+d ms", median - medians.get(untraced))
                            + String.format(" (paired samples: %+d ms; the handler's own time: %+d ms, %d vs %d ms)",
                                    medianDifference(ColdStart.SAMPLES.get(name), ColdStart.SAMPLES.get(untraced)),
                                    (ColdStart.median(ColdStart.sorted(ColdStart.HANDLER_MICROS.get(name)))
                                            - ColdStart.median(ColdStart.sorted(ColdStart.HANDLER_MICROS.get(untraced)))) / 1000,
                                    ColdStart.median(ColdStart.sorted(ColdStart.HANDLER_MICROS.get(name))) / 1000,
                                    ColdStart.median(ColdStart.sorted(ColdStart.HANDLER_MICROS.get(untraced))) / 1000));
                }
            });
            daemon.close();
            out.println();
            out.println("Tracing at cold start (median traced - median untraced; `, traced` rows: a sampled invocation"
                    + " under X-Ray active tracing, its subsegments sent over UDP to a loopback listener, "
                    + XRAY_DOCUMENTS.sum() + " documents received): " + (costs.isEmpty() ? "not measured" : String.join(", ", costs)) + ".");
            out.println();
            out.println("Baseline: one DynamoDB client built by AwsClients and one GetItem (bench HelloDynamo), same JVM options and memory"
                    + " size as the function compared. Every JVM is launched as Lambda's Java runtime launches it: "
                    + String.join(" ", ColdStart.lambdaLaunchFlags(1024)) + " at 1024 MB (heap, metaspace and code cache scale with"
                    + " memory), then JAVA_TOOL_OPTIONS. Classpath per function: its classes, its dependencies and the layer's. Events: engine, a new run's"
                    + " stream INSERT with the created item as its new image, as the stream delivers it (it dispatches the first stage); start, a new run; tenant router, a tenant's Workflow Completed;"
                    + " registrar, reconcile; plugin, an open parallel stage's SNS message.");
        }
    }

    /** The median of {@code a[i] - b[i]}: samples of two targets taken back to back, so load drifts cancel. */
    static long medianDifference(List<Long> a, List<Long> b) {
        List<Long> d = new ArrayList<>();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            d.add(a.get(i) - b.get(i));
        }
        return ColdStart.median(ColdStart.sorted(d));
    }

    static final java.util.concurrent.atomic.LongAdder XRAY_DOCUMENTS = new java.util.concurrent.atomic.LongAdder();

    /** A UDP listener on loopback in the X-Ray daemon's place: counts the documents, drops them. */
    static java.net.DatagramSocket xrayDaemon() {
        try {
            java.net.DatagramSocket socket = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[65_536];
                while (!socket.isClosed()) {
                    try {
                        socket.receive(new java.net.DatagramPacket(buffer, buffer.length));
                        XRAY_DOCUMENTS.increment();
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            }, "xray-daemon");
            t.setDaemon(true);
            t.start();
            return socket;
        } catch (java.net.SocketException e) {
            throw new IllegalStateException("cannot listen on loopback UDP for the X-Ray daemon's place", e);
        }
    }

    static String streamInsert(String uid, String workflow) {
        return "{\"Records\":[{\"eventID\":\"1\",\"eventName\":\"INSERT\",\"eventSource\":\"aws:dynamodb\",\"awsRegion\":\"us-east-1\","
                + "\"dynamodb\":{\"Keys\":{\"uid\":{\"S\":\"" + uid + "\"},\"workflow\":{\"S\":\"" + workflow + "\"}},"
                + "\"NewImage\":{\"uid\":{\"S\":\"" + uid + "\"},\"workflow\":{\"S\":\"" + workflow + "\"},\"status\":{\"S\":\"Not Started\"}},"
                + "\"SequenceNumber\":\"1\",\"SizeBytes\":100,\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},"
                + "\"eventSourceARN\":\"arn:aws:dynamodb:us-east-1:123456789012:table/x/stream/1\"}]}";
    }

    static String snsStage(String uid, String workflow, String activity) {
        String message = "{\"uid\":\"" + uid + "\",\"workflow\":\"" + workflow + "\",\"activity\":\"" + activity + "\",\"stage\":\"parallel\","
                + "\"metadata\":{\"tier\":\"basic\"},\"windowEndsAt\":" + (System.currentTimeMillis() + 600_000)
                + ",\"pluginTimeout\":900,\"plugins\":{\"mandatory\":{},\"optional\":{}}}";
        String quoted = "\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        return "{\"Records\":[{\"EventSource\":\"aws:sns\",\"EventVersion\":\"1.0\",\"EventSubscriptionArn\":\"arn:aws:sns:us-east-1:123456789012:x:1\","
                + "\"Sns\":{\"Type\":\"Notification\",\"MessageId\":\"" + uid + "\",\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:x\","
                + "\"Message\":" + quoted + ",\"Timestamp\":\"2026-11-22T10:00:00.000Z\",\"MessageAttributes\":{"
                + "\"workflow\":{\"Type\":\"String\",\"Value\":\"" + workflow + "\"},\"activity\":{\"Type\":\"String\",\"Value\":\"" + activity + "\"},"
                + "\"stage\":{\"Type\":\"String\",\"Value\":\"parallel\"}}}}]}";
    }

    // ------------------------------------------------------------------ map over a list

    static void map(Path root, List<Integer> sizes, List<MapCost.Source> sources) {
        out.println();
        out.println("## Map over a list: cost per element (1 activity, 1 plugin, maxConcurrency " + MapCost.MAX_CONCURRENCY + ")");
        out.println();
        out.println("| elements | list from | final status | end to end ms | ms per element | write units per element |"
                + " API calls per element | engine invocations per element | plugin invocations per element |");
        out.println("|---:|---|---|---:|---:|---:|---:|---:|---:|");
        for (int n : sizes) {
            for (MapCost.Source source : sources) {
                System.err.println("map: 1 activity, 1 plugin, " + n + " elements, list from " + source.label);
                try {
                    MapCost.Result r = MapCost.measure(root, n, source);
                    RunMeter.Run run = r.run();
                    long calls = run.calls().values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
                    out.printf("| %d | %s | %s | %d | %.1f | %.2f | %.2f | %.2f | %.2f |%n", n, source.label, r.status(), r.endToEndMillis(),
                            r.per(r.endToEndMillis()), r.per(run.writeUnits()), r.per(calls),
                            r.per(run.invocations().getOrDefault("engine", 0L)), r.per(run.pluginInvocations()));
                } catch (RuntimeException e) {
                    out.println("| " + n + " | " + source.label + " | did not complete on this emulator: "
                            + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + " | | | | | | |");
                    System.err.println("map with " + n + " elements (" + source.label + ") failed: " + e);
                }
            }
        }
        out.println();
        out.println("Per element: the run's totals (write units priced from the status and history streams, every API call of the"
                + " orchestrator and the plugin, invocations) divided by the elements. Nothing the engine reads or writes per element"
                + " grows with the list (docs/protocol.md, Map elements), so a list in S3 costs the same per element at every length; a"
                + " list in the run's metadata rides in the run's header, which the engine rewrites about once per batch of ended"
                + " elements, so its bytes add to every header write: put long lists in S3.");
    }

    // ------------------------------------------------------------------ fan-out

    static void fanout(Path root, List<Integer> sizes) {
        List<FanOut.Result> results = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int n : sizes) {
            System.err.println("fan-out: 1 activity, " + n + " parallel plugin(s)");
            try {
                results.add(FanOut.measure(root, n));
            } catch (RuntimeException e) {
                // The emulator on a small machine may give out before the orchestrator does: say so, go on.
                failures.add("| " + n + " | did not complete on this emulator: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                        + " | | | | | | | | | | | | | | |");
                System.err.println("fan-out with " + n + " plugins failed: " + e);
            }
        }
        out.println();
        out.println("## Fan-out: 1 activity, N mandatory parallel plugins (start to terminal status)");
        out.println();
        out.println("| N | final status | end to end ms | emulator floor ms | ratio | engine invocations | plugin invocations |"
                + " write units | WRU per plugin execution | WRU per added plugin | status table | RunsIndex | history | largest expression |"
                + " largest item | over a DynamoDB limit |");
        out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
        FanOut.Result one = results.stream().filter(r -> r.plugins() == 1).findFirst().orElse(null);
        for (FanOut.Result r : results) {
            RunMeter.Run run = r.run();
            long largestItem = Math.max(r.largestRequestItem(), Math.max(run.status().largestItem, run.history().largestItem));
            String added = one == null || r.plugins() == 1 ? "-"
                    : String.format("%.2f", (run.writeUnits() - one.run().writeUnits()) / (double) (r.plugins() - 1));
            out.printf("| %d | %s | %d | %d | %.1fx | %d | %d | %d | %.2f | %s | %d | %d | %d | %,d B (%s) | %,d B | %s |%n", r.plugins(), r.status(),
                    r.endToEndMillis(), r.floorMillis(), r.ratio(), run.invocations().getOrDefault("engine", 0L), run.pluginInvocations(),
                    run.writeUnits(), r.writeUnitsPerPlugin(), added, run.status().tableWru() + run.unrecordedStatusWrites(), run.status().indexWru,
                    run.history().tableWru() + run.unrecordedHistoryWrites(), r.largestExpression(), r.largestExpressionKind(), largestItem,
                    r.violations().isEmpty() ? "none" : String.join("; ", r.violations()));
        }
        failures.forEach(out::println);
        out.println();
        out.println("| N | header writes / WRU | execution writes / WRU | roster writes / WRU | history items / WRU | unchanged + refused writes |"
                + " largest index partition's share |");
        out.println("|---:|---:|---:|---:|---:|---:|---:|");
        for (FanOut.Result r : results) {
            RunMeter.Run run = r.run();
            var top = run.status().largestPartition();
            out.printf("| %d | %s | %s | %s | %s | %d | %.0f%% (%s) |%n", r.plugins(), kind(run.status(), "header"), kind(run.status(), "execution"),
                    kind(run.status(), "roster"), kind(run.history(), "history"),
                    run.unrecordedStatusWrites() + run.unrecordedHistoryWrites() + run.failedConditions().values().stream().mapToLong(Long::longValue).sum(),
                    100 * top.getValue(), top.getKey());
        }
        out.println();
        out.println("Write units: status table (every item write priced from its stream record), RunsIndex, history table (its stream),"
                + " writes that changed nothing and refused conditional writes, divided by N for the per-plugin figure. WRU per added plugin:"
                + " (write units at N - write units at N = 1) / (N - 1), what each plugin beyond the first adds; the run's own writes (its"
                + " header's steps, its index entries, its first roster and history items) are paid once per run whatever N is, so the"
                + " per-plugin figure falls with N toward this one. Largest expression and"
                + " item: the test kit's DynamoDbLimits peaks over every DynamoDB request of the timed run (and the largest stream image)."
                + " Plugins: one SNS subscription whose in-process handler runs the N registered plugins " + FanOut.PLUGIN_THREADS
                + " at a time, each with its own client and writes. Runs with N > " + FanOut.WARM_UP_UP_TO + " have no warm-up run."
                + " Floor: the calls counted during that run replayed back to back on the same emulator with equivalent requests (the"
                + " orchestrator's in sequence, the plugins' " + FanOut.PLUGIN_THREADS + " at a time), without the event delivery, polling"
                + " and waiting between them. Registration window 0 s. The emulator serializes DynamoDB requests, so plugin writes do not"
                + " overlap there.");
    }

    private static String kind(StreamMeter.Tally t, String kind) {
        return t.records.getOrDefault(kind, 0L) + " / " + t.wru.getOrDefault(kind, 0L);
    }

    /** {@code --map-from s3,metadata}: where the map rows' lists come from. */
    static List<MapCost.Source> mapSources(String spec) {
        List<MapCost.Source> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            switch (s.trim()) {
                case "s3" -> out.add(MapCost.Source.S3);
                case "metadata" -> out.add(MapCost.Source.METADATA);
                default -> throw new IllegalArgumentException("--map-from: unknown list source '" + s.trim() + "'; sources: s3, metadata");
            }
        }
        return out;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'; options: --runs N --cold N --fanout 1,10,50,100"
                        + " --batching 0,1 --map 100,1000 --map-from s3,metadata --only size,calls,batching,cold,fanout,map --no-jvm-options --root DIR");
            }
            String key = a.substring(2);
            if (key.equals("no-jvm-options")) {
                out.put(key, "true");
            } else if (i + 1 < args.length) {
                out.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
        }
        return out;
    }

    static String plain(double d) {
        return java.math.BigDecimal.valueOf(d).toPlainString();
    }

    static String num(double d) {
        return CostModel.fmt(d);
    }
}
