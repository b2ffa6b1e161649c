package dev.orchestrator.bench;

import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.Stage;
import dev.orchestrator.testkit.DynamoDbLimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * End-to-end time of one activity with N parallel plugins (start invoked to status terminal), beside
 * the emulator's floor: the same calls (counted during that run) replayed back to back against the
 * same emulator, the orchestrator's in sequence and the plugins' N at a time, with no delivery, polling
 * or waiting in between. The ratio is what the event plumbing adds on top of the calls themselves.
 */
final class FanOut {

    /**
     * One fan-out run: its final status and time, the floor, the orchestrator's and plugins' calls, what the
     * meter read from the streams, and the largest expression and item of any DynamoDB request in the timed
     * run ({@link DynamoDbLimits#peaks()}, active on every SDK client of the bench JVM through testkit-limits).
     */
    record Result(int plugins, String status, long endToEndMillis, long floorMillis, Map<String, Long> calls, RunMeter.Run run,
                  long largestExpression, String largestExpressionKind, long largestRequestItem, List<String> violations) {
        double ratio() {
            return floorMillis == 0 ? 0 : endToEndMillis / (double) floorMillis;
        }

        double writeUnitsPerPlugin() {
            return run.writeUnits() / (double) plugins;
        }
    }

    private FanOut() {
    }

    /** Runs larger than this skip the warm-up run (it would double a long measurement; cold handlers cost ~1 s of it). */
    static final int WARM_UP_UP_TO = 100;
    /** Plugins running at once, in the run and in the floor's replay (the emulator serializes DynamoDB requests anyway). */
    static final int PLUGIN_THREADS = 8;

    static Result measure(Path root, int n) {
        try (BenchStack s = BenchStack.deploy(root, "fan" + n, List.of("Fan"), 0).start(); RunMeter meter = new RunMeter(s)) {
            s.registerParallelMultiplexed("Fan", n, PLUGIN_THREADS);
            long timeout = Math.max(300_000, n * 1_000L);
            if (n <= WARM_UP_UP_TO) {
                // A first run warms the in-process handlers: this measures the plumbing, not cold starts.
                s.startRun("warm", "fan", List.of("Fan"), 0);
                s.awaitEnd("warm", "fan", timeout, 250);
            }
            meter.begin();
            DynamoDbLimits.reset();
            long t0 = System.nanoTime();
            s.startRun("timed", "fan", List.of("Fan"), 0);
            String status = s.awaitEnd("timed", "fan", timeout, n >= 50 ? 250 : 20); // polls cost the emulator too
            long e2e = (System.nanoTime() - t0) / 1_000_000;
            RunMeter.Run run = meter.end("timed");
            Map<String, Long> peaks = DynamoDbLimits.peaks();
            List<String> violations = DynamoDbLimits.violations().stream().map(DynamoDbLimits.Violation::message).distinct().toList();
            var expression = peaks.entrySet().stream().filter(e -> e.getKey().endsWith("Expression bytes"))
                    .max(Map.Entry.comparingByValue()).orElse(Map.entry("-", 0L));
            Map<String, Long> orchestrator = new TreeMap<>();
            Map<String, Long> plugins = new TreeMap<>();
            run.calls().forEach((role, byApi) -> byApi.forEach((api, k) -> {
                // Not on the run's path: the tenant router hears the outcome after the run ended, and the history
                // function copies transitions beside the run.
                if (!role.equals("tenant") && !role.equals("history")) {
                    (role.equals(BenchStack.PLUGINS) ? plugins : orchestrator).merge(api, k, Long::sum);
                }
            }));
            long floor = floor(s, orchestrator, plugins, Math.min(n, PLUGIN_THREADS));
            Map<String, Long> all = new TreeMap<>(orchestrator);
            plugins.forEach((k, v) -> all.merge("plugins " + k, v, Long::sum));
            return new Result(n, status, e2e, floor, all, run, expression.getValue(), expression.getKey().replace(" bytes", ""),
                    peaks.getOrDefault("item bytes", 0L), violations);
        }
    }

    /** Replays the counted calls with equivalent requests on scratch resources (no streams, no subscribers), plugins' n at a time. */
    static long floor(BenchStack s, Map<String, Long> orchestrator, Map<String, Long> plugins, int n) {
        Replay replay = new Replay(s);
        long t0 = System.nanoTime();
        orchestrator.forEach((api, k) -> {
            for (long i = 0; i < k; i++) {
                replay.call(api, 0);
            }
        });
        List<String> sequence = new ArrayList<>();
        plugins.forEach((api, k) -> {
            for (long i = 0; i < k; i++) {
                sequence.add(api);
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < n; p++) {
                int me = p;
                done.add(pool.submit(() -> {
                    for (int i = me; i < sequence.size(); i += n) {
                        replay.call(sequence.get(i), me);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("floor replay failed", e);
        } finally {
            pool.shutdownNow();
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** One request per counted call, of the same service and kind, on resources nobody listens to. */
    static final class Replay {
        final DynamoDbClient dynamo;
        final SnsClient sns;
        final SqsClient sqs;
        final EventBridgeClient events;
        final String table = "floor-scratch";
        final String topic;
        final String queue;
        final String statusTable;
        final String pluginTable;

        Replay(BenchStack s) {
            dynamo = s.emulator.client(DynamoDbClient.builder());
            sns = s.emulator.client(SnsClient.builder());
            sqs = s.emulator.client(SqsClient.builder());
            events = s.emulator.client(EventBridgeClient.builder());
            statusTable = s.statusTable;
            pluginTable = s.stack.export(StackExports.name(s.stack.name(), StackExports.PLUGIN_TABLE));
            dynamo.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(AttributeDefinition.builder().attributeName("k").attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName("k").keyType(KeyType.HASH).build()));
            topic = sns.createTopic(b -> b.name("floor-scratch")).topicArn();
            queue = sqs.createQueue(b -> b.queueName("floor-scratch")).queueUrl();
        }

        void call(String api, int worker) {
            Map<String, AttributeValue> key = Map.of("k", AttributeValue.fromS("w" + worker));
            switch (api) {
                case "DynamoDb.GetItem" -> dynamo.getItem(b -> b.tableName(statusTable).consistentRead(true)
                        .key(Map.of("uid", AttributeValue.fromS("timed"), "workflow", AttributeValue.fromS("fan"))));
                case "DynamoDb.Query" -> dynamo.query(b -> b.tableName(pluginTable).keyConditionExpression("orchestratorId = :id")
                        .expressionAttributeValues(Map.of(":id", AttributeValue.fromS(PluginRegistration.orchestratorId("Fan", Stage.PARALLEL)))));
                case "DynamoDb.PutItem" -> dynamo.putItem(b -> b.tableName(table).item(key));
                case "Sns.Publish" -> sns.publish(b -> b.topicArn(topic).message("{}"));
                case "Sqs.SendMessage" -> sqs.sendMessage(b -> b.queueUrl(queue).messageBody("{}"));
                case "EventBridge.PutEvents" -> events.putEvents(b -> b.entries(e -> e.source("floor").detailType("floor").detail("{}")));
                default -> dynamo.updateItem(b -> b.tableName(table).key(key).updateExpression("ADD n :one")
                        .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1")))); // UpdateItem and the rest
            }
        }
    }
}
