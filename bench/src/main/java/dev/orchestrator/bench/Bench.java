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
import java.util.TreeSet;

/**
 * The benchmark (scripts/bench): on the local emulator, prints what one workflow of 3 activities x 6
 * parallel plugins costs in API calls and Lambda invocations, that priced per million workflows beside
 * two reference layouts, each function's cold start as a ratio to a hello-world handler, and the
 * end-to-end time of one activity with N parallel plugins beside the emulator's floor, and the size of the
 * layer and of each function's package ({@link PackageSizes}).
 *
 * <p>Options: {@code --runs N} (workflows averaged, 3), {@code --cold N} (fresh JVMs per function, 5),
 * {@code --fanout 1,10,50,100}, {@code --only size,calls,cold,fanout}, {@code --no-jvm-options} (cold
 * starts without template.yaml's JAVA_TOOL_OPTIONS, to see what they buy).
 */
public final class Bench {

    private Bench() {
    }

    /** Where the report goes; the in-process handlers' logs and metrics go to a file instead. */
    static PrintStream out = System.out;

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Path handlerLog = Path.of("bench/target/bench-handlers.log");
        Files.createDirectories(handlerLog.getParent());
        System.setOut(new PrintStream(Files.newOutputStream(handlerLog), true, java.nio.charset.StandardCharsets.UTF_8));
        System.err.println("handler logs and metrics: " + handlerLog);
        Path root = Path.of(opts.getOrDefault("root", ".")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("template.yaml"))) {
            throw new IllegalArgumentException("run from the repository root (no template.yaml in " + root + ")");
        }
        int runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
        int cold = Integer.parseInt(opts.getOrDefault("cold", "5"));
        List<Integer> fan = Arrays.stream(opts.getOrDefault("fanout", "1,10,50,100").split(",")).map(String::trim).map(Integer::parseInt).toList();
        Set<String> only = new TreeSet<>(Arrays.asList(opts.getOrDefault("only", "size,calls,cold,fanout").split(",")));
        Set<String> unknown = new TreeSet<>(only);
        unknown.removeAll(Set.of("size", "calls", "cold", "fanout"));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--only: unknown section(s) " + unknown + "; sections: size, calls, cold, fanout");
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
            if (only.contains("cold")) {
                cold(root, cold, jvmOptions);
            }
            if (only.contains("fanout")) {
                fanout(root, fan);
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
        out.printf("%nStatus item at the end of a run: %d bytes.%n", r.statusItemBytes());

        Map<String, Double> orchestratorInvocations = new LinkedHashMap<>(r.invocations());
        orchestratorInvocations.remove(BenchStack.PLUGINS); // plugin invocations are the same in every layout
        List<CostModel.Layout> layouts = List.of(
                CostModel.ours(r.calls(), orchestratorInvocations, r.statusItemBytes()),
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
        out.println();
        out.println("Prices (bench/src/main/java/dev/orchestrator/bench/Prices.java): Lambda $0.20/M requests, $"
                + plain(Prices.LAMBDA_GB_SECOND_ARM) + "/GB-s arm64, $" + plain(Prices.LAMBDA_GB_SECOND_X86) + "/GB-s x86_64; DynamoDB on demand $0.625/M WRU,"
                + " $0.125/M RRU; SNS $0.50/M publishes (delivery to Lambda free); SQS $0.40/M requests; EventBridge $1.00/M events;"
                + " Step Functions Standard $25/M transitions.");
        out.println("Assumptions: free tiers ignored; every message < 64 KB; writes to the run item cost ceil(item/1 KB) WRU,"
                + " strongly consistent reads ceil(item/4 KB) RRU, failed conditional writes count as writes; other items 1 unit;"
                + " our billed Lambda time = " + num(Prices.MS_PER_INVOCATION) + " ms per invocation + " + num(Prices.MS_PER_API_CALL)
                + " ms per AWS call it makes, at " + Prices.OUR_MEMORY_MB + " MB arm64; plugins' own invocations and work are the same in"
                + " every layout and left out of all (their status writes are in ours); the original's Lambda waits "
                + num(Prices.ORIGINAL_WAIT_SECONDS) + " s in each of the " + Prices.ORIGINAL_PARALLEL_STAGES + " parallel stages at "
                + Prices.ORIGINAL_WAIT_MEMORY_MB + " MB x86_64 (the seed does not state its memory) and its own DynamoDB/SNS calls are"
                + " not counted (a lower bound); plain Step Functions = one Parallel state per activity with one lambda:invoke Task per"
                + " plugin, no other states.");
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
            out.println();
            out.println("Baseline: one DynamoDB client built by AwsClients and one GetItem (bench HelloDynamo), same JVM options and memory"
                    + " size as the function compared. Every JVM is launched as Lambda's Java runtime launches it: "
                    + String.join(" ", ColdStart.lambdaLaunchFlags(1024)) + " at 1024 MB (heap, metaspace and code cache scale with"
                    + " memory), then JAVA_TOOL_OPTIONS. Classpath per function: its classes, its dependencies and the layer's. Events: engine, a new run's"
                    + " stream INSERT with the created item as its new image, as the stream delivers it (it dispatches the first stage); start, a new run; tenant router, a tenant's Workflow Completed;"
                    + " registrar, reconcile; plugin, an open parallel stage's SNS message.");
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
                        + " | | | |");
                System.err.println("fan-out with " + n + " plugins failed: " + e);
            }
        }
        out.println();
        out.println("## End to end: 1 activity, N mandatory parallel plugins (start to terminal status, warm handlers)");
        out.println();
        out.println("| N | end to end ms | emulator floor ms | ratio | API calls (orchestrator + plugins) |");
        out.println("|---:|---:|---:|---:|---:|");
        for (FanOut.Result r : results) {
            out.printf("| %d | %d | %d | %.1fx | %d |%n", r.plugins(), r.endToEndMillis(), r.floorMillis(), r.ratio(),
                    r.calls().values().stream().mapToLong(Long::longValue).sum());
        }
        failures.forEach(out::println);
        out.println();
        out.println("Floor: the calls counted during that run replayed back to back on the same emulator with equivalent requests"
                + " (the orchestrator's in sequence, the plugins' N at a time), without the event delivery, polling and waiting between"
                + " them. Registration window 0 s. The emulator serializes DynamoDB requests, so plugin writes do not overlap there.");
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'; options: --runs N --cold N --fanout 1,10,50,100"
                        + " --only size,calls,cold,fanout --no-jvm-options --root DIR");
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
