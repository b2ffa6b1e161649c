package dev.orchestrator.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.Topics;
import dev.orchestrator.core.WorkflowRun;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.testkit.Emulator;
import dev.orchestrator.testkit.LocalLambdaRuntime;
import dev.orchestrator.testkit.SamStack;
import java.nio.file.Path;
import java.time.Duration;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.Select;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The orchestrator stack (template.yaml) on the emulator, its functions running in-process, and the
 * moves a test makes: register plugins as the registrar would, start runs, read status, and watch the
 * bus for run outcomes through an EventBridge rule -> SQS queue.
 */
final class OrchestratorFixture implements AutoCloseable {

    static final Path TEMPLATE = Path.of("..", "template.yaml");

    final Emulator emulator;
    final SamStack stack;
    final LocalLambdaRuntime runtime;
    final StatusStore store;
    final PluginRegistry registry;
    final DynamoDbClient dynamo;
    private final SqsClient sqs;
    private final String outcomeQueue;
    private final List<JsonNode> outcomes = new CopyOnWriteArrayList<>();

    private OrchestratorFixture(Emulator emulator, SamStack stack) {
        this(emulator, stack, Map.of());
    }

    private OrchestratorFixture(Emulator emulator, SamStack stack, Map<String, String> runtimeEnvironment) {
        this.emulator = emulator;
        this.stack = stack;
        this.dynamo = emulator.client(DynamoDbClient.builder());
        this.sqs = emulator.client(SqsClient.builder());
        this.store = new StatusStore(dynamo, stack.export(stack.name() + "-status-name"));
        this.registry = new PluginRegistry(dynamo, stack.export(stack.name() + "-plugin-name"));
        this.outcomeQueue = watchOutcomes();
        this.runtime = new LocalLambdaRuntime(emulator, stack, runtimeEnvironment).start();
    }

    static OrchestratorFixture deploy(String stackName, List<String> activities) {
        return deploy(stackName, activities, Map.of());
    }

    /** @param parameters more stack parameters (or overrides of the fixture's) */
    static OrchestratorFixture deploy(String stackName, List<String> activities, Map<String, String> parameters) {
        return deploy(stackName, activities, parameters, Map.of());
    }

    /** @param runtimeEnvironment added to every function's environment, as Lambda adds its own (e.g. the X-Ray daemon's address) */
    static OrchestratorFixture deploy(String stackName, List<String> activities, Map<String, String> parameters,
                                      Map<String, String> runtimeEnvironment) {
        Emulator emulator = new Emulator().start();
        try {
            Map<String, String> params = new LinkedHashMap<>(Map.of(
                    "StackTagName", stackName,
                    "Activities", String.join(",", activities),
                    "DefaultRegisterTimeout", "2"));
            params.putAll(parameters);
            SamStack stack = SamStack.deploy(emulator, TEMPLATE, stackName, params);
            return new OrchestratorFixture(emulator, stack, runtimeEnvironment);
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
    }

    /** Deploys a plugin stack (importing this stack's exports) and runs its functions too. */
    SamStack deployPlugin(String directory, Map<String, String> parameters) {
        Map<String, String> params = new LinkedHashMap<>(parameters);
        params.put("OrchestratorStackName", stack.name());
        params.put("OrchestratorLayer", layerParameterName());
        SamStack plugin = SamStack.deploy(emulator, Path.of("..", "plugins-examples", directory, "template.yaml"),
                stack.name() + "-" + directory, params);
        runtime.add(plugin);
        return plugin;
    }

    /** The Parameter Store key holding this stack's layer ARN (environment dev, the fixture's default). */
    String layerParameterName() {
        return "/dev/orchestrator/stacks/" + stack.name().replace("-", "") + "/layer";
    }

    /** The stack's event bus: run outcomes are put there. */
    String eventBus() {
        return stack.export(StackExports.name(stack.name(), StackExports.EVENT_BUS));
    }

    /**
     * A rule on the stack's bus for run outcomes, delivering to a queue the test reads. Called again after a test
     * deleted and re-created the bus (rules go with their bus): the queue is the same, so nothing read is lost.
     */
    String watchOutcomes() {
        String url = sqs.createQueue(b -> b.queueName(stack.name() + "-outcomes")).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        EventBridgeClient events = emulator.client(EventBridgeClient.builder());
        String bus = eventBus();
        events.putRule(b -> b.name("test-outcomes").eventBusName(bus)
                .eventPattern("{\"source\":[\"orchestrator\"],\"detail-type\":[\"Workflow Completed\",\"Workflow Failed\"]}"));
        events.putTargets(b -> b.rule("test-outcomes").eventBusName(bus).targets(t -> t.id("queue").arn(arn)));
        return url;
    }

    /** The environment a plugin Lambda gets from its own template (imports of the stack's exports). */
    Map<String, String> pluginEnv() {
        Map<String, String> env = new LinkedHashMap<>(emulator.clientEnvironment());
        env.put(EnvNames.STATUS_TABLE, stack.export(stack.name() + "-status-name"));
        env.put(EnvNames.PAYLOAD_BUCKET, stack.export(stack.name() + "-payload-bucket"));
        return env;
    }

    String topicArn(String activity, Stage stage) {
        return stack.export(Topics.name(stack.name(), activity, stage));
    }

    <T extends RequestStreamHandler> T register(String activity, Stage stage, T plugin) {
        return register(activity, stage, plugin, false);
    }

    <T extends RequestStreamHandler> T registerTwice(String activity, Stage stage, T plugin) {
        return register(activity, stage, plugin, true);
    }

    /** Like {@link #register}, with a filter policy on the subscription. */
    <T extends RequestStreamHandler> T registerFiltered(String activity, Stage stage, T plugin, String filterPolicy) {
        String subscription = runtime.subscribe(topicArn(activity, stage), filterPolicy, plugin, false);
        PluginInfo info = PluginInfo.fromJson(Json.parse(invokeInitialize(plugin)));
        registry.register(PluginRegistration.of(activity, stage, subscription, "local-" + info.pluginName(), info)
                .withSubscription(delivery(subscription)));
        return plugin;
    }

    /** The subscription's filter policy and scope as SNS holds them, recorded as the registrar records them. */
    PluginRegistration.Subscription delivery(String subscriptionArn) {
        return PluginRegistration.Subscription.of(emulator.client(software.amazon.awssdk.services.sns.SnsClient.builder())
                .getSubscriptionAttributes(b -> b.subscriptionArn(subscriptionArn)).attributes());
    }

    /** Raw bodies (as JSON strings) of the messages in one of the stack's queues, read and deleted. */
    List<JsonNode> drainRaw(String queueLogicalId, Duration timeout) {
        String url = queueUrl(queueLogicalId);
        List<JsonNode> out = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.isEmpty() && System.nanoTime() < deadline) {
            sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1).maxNumberOfMessages(10)).messages().forEach(m -> {
                out.add(com.fasterxml.jackson.databind.node.TextNode.valueOf(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            });
        }
        return out;
    }

    /** Subscribes the plugin to the stage topic, then registers it from its answer to initialize. */
    private <T extends RequestStreamHandler> T register(String activity, Stage stage, T plugin, boolean twice) {
        String subscription = runtime.subscribe(topicArn(activity, stage), null, plugin, twice);
        String answer = invokeInitialize(plugin);
        PluginInfo info = PluginInfo.fromJson(Json.parse(answer));
        registry.register(PluginRegistration.of(activity, stage, subscription, "local-" + info.pluginName(), info)
                .withSubscription(delivery(subscription)));
        return plugin;
    }

    private static String invokeInitialize(RequestStreamHandler plugin) {
        var out = new java.io.ByteArrayOutputStream();
        try {
            plugin.handleRequest(new java.io.ByteArrayInputStream("{\"action\":\"initialize\"}".getBytes()), out, null);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toString();
    }

    /** A standard queue with a dead-letter queue after {@code maxReceiveCount}, or a FIFO queue; returns {url, dlqUrl}. */
    String[] queueWithDlq(String name, int maxReceiveCount, boolean fifo) {
        String dlq = sqs.createQueue(b -> b.queueName(name + "-dlq" + (fifo ? ".fifo" : ""))
                .attributes(fifo ? Map.of(QueueAttributeName.FIFO_QUEUE, "true") : Map.of())).queueUrl();
        String dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        Map<QueueAttributeName, String> attributes = new LinkedHashMap<>();
        attributes.put(QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":" + maxReceiveCount + "}");
        attributes.put(QueueAttributeName.VISIBILITY_TIMEOUT, "30");
        if (fifo) {
            attributes.put(QueueAttributeName.FIFO_QUEUE, "true");
        }
        String url = sqs.createQueue(b -> b.queueName(name + (fifo ? ".fifo" : "")).attributes(attributes)).queueUrl();
        return new String[] {url, dlq};
    }

    /** Bodies of the messages waiting in a queue, read and deleted (waits until at least one or the timeout). */
    List<JsonNode> drainUrl(String queueUrl, Duration timeout) {
        List<JsonNode> out = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.isEmpty() && System.nanoTime() < deadline) {
            sqs.receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(1).maxNumberOfMessages(10)).messages().forEach(m -> {
                out.add(Json.parse(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
            });
        }
        return out;
    }

    JsonNode start(String json) {
        return Json.parse(runtime.invoke("StartWorkflowFunction", json));
    }

    /** Puts an event on the stack's bus, as a producer would; PutEvents must accept it. */
    void putEvent(String source, String detailType, String detail) {
        var r = emulator.client(EventBridgeClient.builder()).putEvents(b -> b.entries(e -> e
                .eventBusName(stack.export(stack.name() + "-event-bus")).source(source).detailType(detailType).detail(detail)));
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            throw new AssertionError("PutEvents refused the event: " + r.entries());
        }
    }

    /** Puts an event on a named bus ("default" is the account's bus, where AWS services report). */
    void putEventOn(String bus, String source, String detailType, String detail) {
        var r = emulator.client(EventBridgeClient.builder()).putEvents(b -> b.entries(e -> e
                .eventBusName(bus).source(source).detailType(detailType).detail(detail)));
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            throw new AssertionError("PutEvents refused the event: " + r.entries());
        }
    }

    /** Events on the stack's bus matching a pattern, collected through a rule -> SQS queue of the test's own. */
    final class Tap {
        private final String url;
        private final List<JsonNode> seen = new CopyOnWriteArrayList<>();

        private Tap(String name, String pattern) {
            url = sqs.createQueue(b -> b.queueName(stack.name() + "-" + name)).queueUrl();
            String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            EventBridgeClient events = emulator.client(EventBridgeClient.builder());
            String bus = stack.export(stack.name() + "-event-bus");
            events.putRule(b -> b.name("tap-" + name).eventBusName(bus).eventPattern(pattern));
            events.putTargets(b -> b.rule("tap-" + name).eventBusName(bus).targets(t -> t.id("queue").arn(arn)));
        }

        JsonNode await(java.util.function.Predicate<JsonNode> match, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (JsonNode e : seen) {
                    if (match.test(e)) {
                        return e;
                    }
                }
                poll();
            }
            throw new AssertionError("no matching event within " + timeout + "; seen: " + seen
                    + "; failed deliveries: " + runtime.failedDeliveries());
        }

        List<JsonNode> seen() {
            poll();
            return List.copyOf(seen);
        }

        private void poll() {
            sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1).maxNumberOfMessages(10)).messages().forEach(m -> {
                seen.add(Json.parse(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            });
        }
    }

    Tap tap(String name, String pattern) {
        return new Tap(name, pattern);
    }

    /** Bodies of the messages waiting in a queue of the stack (by logical id), read and deleted. */
    List<JsonNode> drain(String queueLogicalId, Duration timeout) {
        String url = stack.physicalId(queueLogicalId);
        String queueUrl = url.startsWith("http") ? url
                : sqs.getQueueUrl(b -> b.queueName(url.substring(url.lastIndexOf(':') + 1))).queueUrl();
        return drainUrl(queueUrl, timeout);
    }

    /** A tenant's rows in the stack's tenant jobs table (its state row and its build jobs). */
    List<Map<String, AttributeValue>> tenantJobs(String tenant) {
        return dynamo.query(b -> b.tableName(stack.export(stack.name() + "-tenant-jobs-name"))
                .keyConditionExpression("tenantId = :t").expressionAttributeValues(Map.of(":t", AttributeValue.fromS(tenant)))
                .consistentRead(true)).items();
    }

    /** The tenant's provisioning build job, once the router has recorded it. */
    Map<String, AttributeValue> awaitProvisioningJob(String tenant) {
        awaitCondition(Duration.ofSeconds(120), () -> tenantJobs(tenant).stream().anyMatch(j -> j.get("jobId").s().startsWith("PROVISIONING#")));
        return tenantJobs(tenant).stream().filter(j -> j.get("jobId").s().startsWith("PROVISIONING#")).findFirst().orElseThrow();
    }

    Optional<WorkflowRun> run(String uid, String workflow) {
        return store.get(uid, workflow);
    }

    WorkflowRun awaitEnd(String uid, String workflow, Duration timeout) {
        awaitCondition(timeout, () -> run(uid, workflow).map(r -> r.status().isTerminal()).orElse(false));
        return run(uid, workflow).orElseThrow();
    }

    /** How long a test waits for something the stack will do: generous, so a busy machine is slow, not red. */
    static final Duration CEILING = Duration.ofSeconds(120);

    /**
     * How long the bus must stay silent about a run, after its last outcome event, before the events are counted.
     * It is not a wait for the event (that has {@link #CEILING}); it is the watch for a duplicate, restarted on
     * every event seen, so a busy machine that delays the first event delays the watch with it.
     */
    static final Duration DUPLICATE_WATCH = Duration.ofSeconds(5);

    /** The run's outcome events: waits up to {@link #CEILING} for the first, then {@link #DUPLICATE_WATCH} of silence. */
    List<JsonNode> outcomeEvents(String uid) {
        long ceiling = System.nanoTime() + CEILING.toNanos();
        while (ownOutcomes(uid).isEmpty() && System.nanoTime() < ceiling) {
            pollOutcomes();
        }
        int seen = ownOutcomes(uid).size();
        long quietUntil = System.nanoTime() + DUPLICATE_WATCH.toNanos();
        while (System.nanoTime() < quietUntil) {
            pollOutcomes();
            int now = ownOutcomes(uid).size();
            if (now != seen) {
                seen = now;
                quietUntil = System.nanoTime() + DUPLICATE_WATCH.toNanos();
            }
        }
        return ownOutcomes(uid);
    }

    private List<JsonNode> ownOutcomes(String uid) {
        return outcomes.stream().filter(e -> e.path("detail").path("uid").asText().equals(uid)).toList();
    }

    /** Forgets the outcome events seen for a run (before resuming it). */
    void clearOutcomes(String uid) {
        pollOutcomes();
        outcomes.removeIf(e -> e.path("detail").path("uid").asText().equals(uid));
    }

    private void pollOutcomes() {
        sqs.receiveMessage(b -> b.queueUrl(outcomeQueue).waitTimeSeconds(1).maxNumberOfMessages(10)).messages().forEach(m -> {
            outcomes.add(Json.parse(m.body()));
            sqs.deleteMessage(b -> b.queueUrl(outcomeQueue).receiptHandle(m.receiptHandle()));
        });
    }

    /** The URL of one of the stack's queues by logical id. */
    String queueUrl(String logicalId) {
        String id = stack.physicalId(logicalId);
        return id.startsWith("http") ? id : sqs.getQueueUrl(b -> b.queueName(id.substring(id.lastIndexOf(':') + 1))).queueUrl();
    }

    /** A stream event carrying the run's current item, as the table's stream would deliver it. */
    String streamEventFor(String uid, String workflow) {
        var key = dev.orchestrator.core.ItemCodec.key(uid, workflow);
        var item = dynamo.getItem(b -> b.tableName(store.table()).key(key).consistentRead(true)).item();
        return dev.orchestrator.testkit.LambdaEvents.streamModify(key, item, "9" + System.nanoTime());
    }

    JsonNode cancel(String uid, String workflow, String reason) {
        return Json.parse(runtime.invoke("StartWorkflowFunction", "{\"action\":\"cancel\",\"uid\":\"" + uid
                + "\",\"workflow\":\"" + workflow + "\",\"reason\":\"" + reason + "\"}"));
    }

    /** A stage message addressed like the engine's (enough for a plugin's own late writes). */
    dev.orchestrator.plugin.StageMessage lastMessage(String uid, String activity, Stage stage) {
        WorkflowRun run = store.get(uid, "faults").orElseThrow();
        var s = run.activity(activity).stage(stage);
        return new dev.orchestrator.plugin.StageMessage(uid, run.workflow(), activity, stage, null, run.metadata(),
                s.windowEndsAt(), s.mandatory(), s.optional());
    }

    JsonNode awaitOutcomeEvent(String uid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode e : outcomes) {
                if (e.path("detail").path("uid").asText().equals(uid)) {
                    return e;
                }
            }
            sqs.receiveMessage(b -> b.queueUrl(outcomeQueue).waitTimeSeconds(1).maxNumberOfMessages(10)).messages().forEach(m -> {
                outcomes.add(Json.parse(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(outcomeQueue).receiptHandle(m.receiptHandle()));
            });
        }
        throw new AssertionError("no outcome event for " + uid + " within " + timeout + "; seen: " + outcomes);
    }

    void awaitCondition(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout + "; failed deliveries: " + runtime.failedDeliveries());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    int countRuns() {
        return dynamo.scan(b -> b.tableName(store.table()).select(Select.COUNT)).count();
    }

    @Override
    public void close() {
        runtime.close();
        emulator.close();
    }

    /** What the {@code orchestrator} CLI printed and returned. */
    record Cli(int code, String out, String err) {
    }

    /** Runs the {@code orchestrator} CLI in-process against this emulator, for the stack {@code stackName}. */
    Cli cli(String stackName, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--stack", stackName, "--endpoint-url", emulator.endpoint().toString(),
                "--lambda-endpoint-url", runtime.lambdaEndpoint()));
        all.addAll(List.of(args));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = dev.orchestrator.cli.Orchestrator.run(all.toArray(String[]::new), emulator.clientEnvironment(),
                java.time.ZoneOffset.UTC, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        return new Cli(code, out.toString(), err.toString());
    }
}
