package dev.orchestrator.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Capability;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.cloudformation.model.StackResource;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A SAM template deployed to the emulator's CloudFormation, as {@code sam deploy} would, after
 * sam_local.py translated it and rewired Lambda event sources for in-process delivery.
 */
public final class SamStack {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CODE_BUCKET = "local-sam-code";
    static final String CODE_KEY = "placeholder.zip";

    private final String name;
    private final Map<String, String> outputs;
    private final Map<String, String> exports;
    private final Map<String, String> physicalIds;
    private final Map<String, FunctionSpec> functions;

    private SamStack(String name, Map<String, String> outputs, Map<String, String> exports,
                     Map<String, String> physicalIds, Map<String, FunctionSpec> functions) {
        this.name = name;
        this.outputs = outputs;
        this.exports = exports;
        this.physicalIds = physicalIds;
        this.functions = functions;
    }

    public static SamStack deploy(Emulator emulator, Path template, String stackName, Map<String, String> parameters) {
        JsonNode translated = translate(template, parameters);
        uploadPlaceholderCode(emulator);
        CloudFormationClient cfn = emulator.client(CloudFormationClient.builder());
        List<Parameter> params = new ArrayList<>();
        translated.path("parameters").fields().forEachRemaining(e ->
                params.add(Parameter.builder().parameterKey(e.getKey()).parameterValue(e.getValue().asText()).build()));
        parameters.forEach((k, v) -> params.add(Parameter.builder().parameterKey(k).parameterValue(v).build()));
        cfn.createStack(b -> b.stackName(stackName)
                .templateBody(translated.get("template").toString())
                .parameters(params)
                .capabilities(Capability.CAPABILITY_IAM, Capability.CAPABILITY_NAMED_IAM, Capability.CAPABILITY_AUTO_EXPAND));
        Stack stack = awaitCreated(cfn, stackName, Duration.ofSeconds(90));

        Map<String, String> outputs = new LinkedHashMap<>();
        Map<String, String> exports = new LinkedHashMap<>();
        stack.outputs().forEach(o -> {
            outputs.put(o.outputKey(), o.outputValue());
            if (o.exportName() != null) {
                exports.put(o.exportName(), o.outputValue());
            }
        });
        Map<String, String> physical = new LinkedHashMap<>();
        for (StackResource r : cfn.describeStackResources(b -> b.stackName(stackName)).stackResources()) {
            if (r.logicalResourceId() != null && r.physicalResourceId() != null) {
                physical.put(r.logicalResourceId(), r.physicalResourceId());
            }
        }
        LambdaClient lambda = emulator.client(LambdaClient.builder());
        Map<String, FunctionSpec> functions = new LinkedHashMap<>();
        translated.get("functions").fields().forEachRemaining(e -> {
            String fn = physical.get(e.getKey());
            var conf = lambda.getFunctionConfiguration(b -> b.functionName(fn));
            Map<String, String> env = new LinkedHashMap<>();
            if (conf.environment() != null && conf.environment().variables() != null) {
                env.putAll(conf.environment().variables());
            }
            List<JsonNode> sources = new ArrayList<>();
            e.getValue().path("sources").forEach(src -> sources.add(src.path("type").asText().equals("sns")
                    ? subscribe(emulator, (com.fasterxml.jackson.databind.node.ObjectNode) src.deepCopy(), outputs, physical,
                            conf.functionArn()) : src));
            functions.put(e.getKey(), new FunctionSpec(e.getKey(), conf.functionName(), conf.functionArn(),
                    e.getValue().path("handler").asText(conf.handler()), env, sources,
                    e.getValue().path("runtime").isTextual() ? e.getValue().get("runtime").asText() : conf.runtimeAsString(),
                    e.getValue().path("codeDir").isTextual() ? Path.of(e.getValue().get("codeDir").asText()) : null));
        });
        return new SamStack(stackName, outputs, exports, physical, functions);
    }

    /** Subscribes an SNS source's delivery queue to its topic, as CloudFormation would have; returns the source with both ARNs. */
    private static JsonNode subscribe(Emulator emulator, com.fasterxml.jackson.databind.node.ObjectNode source,
                                      Map<String, String> outputs, Map<String, String> physical, String functionArn) {
        var sqs = emulator.client(software.amazon.awssdk.services.sqs.SqsClient.builder());
        var sns = emulator.client(software.amazon.awssdk.services.sns.SnsClient.builder());
        String id = physical.get(source.get("queue").asText());
        String url = id.startsWith("http") ? id : sqs.getQueueUrl(b -> b.queueName(id)).queueUrl();
        String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(url)
                .attributeNames(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN)).attributes()
                .get(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN);
        String topicArn = outputs.get(source.get("topicOutput").asText());
        Map<String, String> attributes = new LinkedHashMap<>();
        if (source.hasNonNull("filterPolicy")) {
            attributes.put("FilterPolicy", source.get("filterPolicy").toString());
        }
        if (source.hasNonNull("filterPolicyScope")) {
            attributes.put("FilterPolicyScope", source.get("filterPolicyScope").asText());
        }
        String subscriptionArn = sns.subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(queueArn).attributes(attributes))
                .subscriptionArn();
        // The function's own subscription, as CloudFormation makes it: what the topic lists and the
        // registrar registers. Deliveries still go through the queue (moto cannot run Lambda code).
        String lambdaSubscriptionArn = sns.subscribe(b -> b.topicArn(topicArn).protocol("lambda").endpoint(functionArn)
                .attributes(attributes)).subscriptionArn();
        source.put("topicArn", topicArn);
        source.put("subscriptionArn", lambdaSubscriptionArn);
        source.put("deliverySubscriptionArn", subscriptionArn);
        return source;
    }

    private static Stack awaitCreated(CloudFormationClient cfn, String stackName, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Stack s = cfn.describeStacks(b -> b.stackName(stackName)).stacks().get(0);
            String status = s.stackStatusAsString();
            if (status.equals("CREATE_COMPLETE")) {
                return s;
            }
            if (!status.endsWith("IN_PROGRESS") || System.nanoTime() > deadline) {
                StringBuilder failed = new StringBuilder();
                cfn.describeStackEvents(b -> b.stackName(stackName)).stackEvents().stream()
                        .filter(ev -> ev.resourceStatusAsString().endsWith("FAILED"))
                        .forEach(ev -> failed.append("\n  ").append(ev.logicalResourceId()).append(": ").append(ev.resourceStatusReason()));
                throw new IllegalStateException("stack " + stackName + " ended " + status + " (" + s.stackStatusReason() + ")" + failed);
            }
            Emulator.sleep(200);
        }
    }

    private static void uploadPlaceholderCode(Emulator emulator) {
        S3Client s3 = emulator.client(S3Client.builder().forcePathStyle(true));
        if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(CODE_BUCKET))) {
            s3.createBucket(b -> b.bucket(CODE_BUCKET));
        }
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("README.txt"));
            z.write("Handlers run in-process; this zip only satisfies CloudFormation.".getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        s3.putObject(b -> b.bucket(CODE_BUCKET).key(CODE_KEY), RequestBody.fromBytes(zip.toByteArray()));
    }

    /** Runs sam_local.py (SAM translator + rewiring) and returns its JSON. */
    static JsonNode translate(Path template, Map<String, String> parameters) {
        try {
            Path script = Files.createTempFile("sam_local", ".py");
            try (InputStream in = SamStack.class.getResourceAsStream("sam_local.py")) {
                Files.write(script, in.readAllBytes());
            }
            String python = System.getenv().getOrDefault("ORCHESTRATOR_PYTHON", "python3");
            Process p = new ProcessBuilder(python, script.toString(), template.toAbsolutePath().toString(),
                    JSON.writeValueAsString(parameters), CODE_BUCKET, CODE_KEY).start();
            byte[] err;
            byte[] out;
            var errReader = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            out = p.getInputStream().readAllBytes();
            err = errReader.join();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("SAM translation of " + template + " failed (needs python3 with "
                        + "aws-sam-translator: pip install aws-sam-translator):\n" + new String(err, StandardCharsets.UTF_8));
            }
            Files.deleteIfExists(script);
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    public String name() {
        return name;
    }

    public Map<String, String> outputs() {
        return outputs;
    }

    public Map<String, String> exports() {
        return exports;
    }

    public String export(String exportName) {
        String v = exports.get(exportName);
        if (v == null) {
            throw new IllegalArgumentException("stack " + name + " has no export " + exportName + "; it has " + exports.keySet());
        }
        return v;
    }

    public String physicalId(String logicalId) {
        String v = physicalIds.get(logicalId);
        if (v == null) {
            throw new IllegalArgumentException("stack " + name + " has no resource " + logicalId);
        }
        return v;
    }

    public Map<String, FunctionSpec> functions() {
        return functions;
    }

    public FunctionSpec function(String logicalId) {
        FunctionSpec f = functions.get(logicalId);
        if (f == null) {
            throw new IllegalArgumentException("stack " + name + " has no function " + logicalId + "; it has " + functions.keySet());
        }
        return f;
    }
}
