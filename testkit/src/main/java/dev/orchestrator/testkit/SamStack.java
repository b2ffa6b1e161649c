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
import java.util.UUID;
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

    /** Output through which sam_local.py reports the export names a stack imports. */
    static final String IMPORTS_OUTPUT = "TestkitImportedExports";

    private final Emulator emulator;
    private final String name;
    private final Map<String, String> outputs;
    private final Map<String, String> exports;
    private final Map<String, String> physicalIds;
    private final Map<String, FunctionSpec> functions;

    private SamStack(Emulator emulator, String name, Map<String, String> outputs, Map<String, String> exports,
                     Map<String, String> physicalIds, Map<String, FunctionSpec> functions) {
        this.emulator = emulator;
        this.name = name;
        this.outputs = outputs;
        this.exports = exports;
        this.physicalIds = physicalIds;
        this.functions = functions;
    }

    public static SamStack deploy(Emulator emulator, Path template, String stackName, Map<String, String> parameters) {
        JsonNode translated = translate(template, parameters, CODE_KEY);
        uploadPlaceholderCode(emulator, CODE_KEY);
        CloudFormationClient cfn = emulator.client(CloudFormationClient.builder());
        cfn.createStack(b -> b.stackName(stackName)
                .templateBody(translated.get("template").toString())
                .parameters(parameters(translated, parameters))
                .capabilities(Capability.CAPABILITY_IAM, Capability.CAPABILITY_NAMED_IAM, Capability.CAPABILITY_AUTO_EXPAND));
        awaitStatus(cfn, stackName, "CREATE_COMPLETE", Duration.ofSeconds(90));
        return describe(emulator, stackName, translated);
    }

    /**
     * Deploys the template again over this stack, as {@code sam deploy} does after a build with new
     * code: functions and layers get a new code object, so every layer version is replaced (SAM names
     * a layer version's logical id after its content). As CloudFormation does, the update is refused,
     * before anything changes, when it would change or remove an export another stack imports.
     *
     * @return the stack as it is after the update
     * @throws IllegalStateException naming the export and the importing stacks when refused
     */
    public SamStack update(Path template, Map<String, String> parameters) {
        String codeKey = "code-" + UUID.randomUUID() + ".zip";
        JsonNode translated = translate(template, parameters, codeKey);
        CloudFormationClient cfn = emulator.client(CloudFormationClient.builder());
        Map<String, List<String>> inUse = importedExports(cfn);
        JsonNode before = readTree(cfn.getTemplate(b -> b.stackName(name)).templateBody());
        refuseChangedExports(before.path("Outputs"), translated.path("template").path("Outputs"), inUse);
        uploadPlaceholderCode(emulator, codeKey);
        cfn.updateStack(b -> b.stackName(name)
                .templateBody(translated.get("template").toString())
                .parameters(parameters(translated, parameters))
                .capabilities(Capability.CAPABILITY_IAM, Capability.CAPABILITY_NAMED_IAM, Capability.CAPABILITY_AUTO_EXPAND));
        awaitStatus(cfn, name, "UPDATE_COMPLETE", Duration.ofSeconds(90));
        SamStack after = describe(emulator, name, translated);
        // An export whose expression did not change can still resolve differently (a parameter); AWS
        // would have refused that too. The emulator cannot roll back, so say what happened.
        exports.forEach((export, value) -> {
            if (inUse.containsKey(export) && !value.equals(after.exports.get(export))) {
                throw new IllegalStateException("Cannot update export " + export + " as it is in use by " + inUse.get(export)
                        + " (the emulator's stack " + name + " was updated anyway: it cannot roll back)");
            }
        });
        return after;
    }

    /** Deletes the stack; refused, as CloudFormation refuses it, while another stack imports one of its exports. */
    public void delete() {
        CloudFormationClient cfn = emulator.client(CloudFormationClient.builder());
        Map<String, List<String>> inUse = importedExports(cfn);
        for (String export : exports.keySet()) {
            if (inUse.containsKey(export)) {
                throw new IllegalStateException("Cannot delete export " + export + " as it is in use by " + inUse.get(export));
            }
        }
        cfn.deleteStack(b -> b.stackName(name));
    }

    /** Stacks importing each export, other than this stack (CloudFormation's ListImports). */
    public Map<String, List<String>> importers() {
        return importedExports(emulator.client(CloudFormationClient.builder()));
    }

    private Map<String, List<String>> importedExports(CloudFormationClient cfn) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Stack s : cfn.describeStacks().stacks()) {
            if (s.stackName().equals(name) || s.stackStatusAsString().startsWith("DELETE")) {
                continue;
            }
            s.outputs().stream().filter(o -> o.outputKey().equals(IMPORTS_OUTPUT)).findFirst().ifPresent(o -> {
                for (String export : o.outputValue().split(",")) {
                    if (exports.containsKey(export)) {
                        out.computeIfAbsent(export, k -> new ArrayList<>()).add(s.stackName());
                    }
                }
            });
        }
        return out;
    }

    /**
     * Refuses an update whose template removes or re-defines an output exported and imported elsewhere.
     * Comparing expressions catches what CloudFormation would refuse for layers: a new layer version is
     * a new logical id, so its Ref differs.
     */
    private void refuseChangedExports(JsonNode oldOutputs, JsonNode newOutputs, Map<String, List<String>> inUse) {
        CloudFormationClient cfn = emulator.client(CloudFormationClient.builder());
        Stack current = cfn.describeStacks(b -> b.stackName(name)).stacks().get(0);
        for (var o : current.outputs()) {
            if (o.exportName() == null || !inUse.containsKey(o.exportName())) {
                continue;
            }
            JsonNode was = oldOutputs.path(o.outputKey());
            JsonNode will = newOutputs.path(o.outputKey());
            if (will.isMissingNode() || !will.path("Export").equals(was.path("Export"))) {
                throw new IllegalStateException("Cannot delete export " + o.exportName() + " as it is in use by "
                        + inUse.get(o.exportName()) + " (stack " + name + " not updated)");
            }
            if (!will.path("Value").equals(was.path("Value"))) {
                throw new IllegalStateException("Cannot update export " + o.exportName() + " as it is in use by "
                        + inUse.get(o.exportName()) + " (stack " + name + " not updated)");
            }
        }
    }

    private static List<Parameter> parameters(JsonNode translated, Map<String, String> parameters) {
        List<Parameter> params = new ArrayList<>();
        translated.path("parameters").fields().forEachRemaining(e ->
                params.add(Parameter.builder().parameterKey(e.getKey()).parameterValue(e.getValue().asText()).build()));
        parameters.forEach((k, v) -> params.add(Parameter.builder().parameterKey(k).parameterValue(v).build()));
        return params;
    }

    /** Reads the created or updated stack: outputs, exports, physical ids, and each function as Lambda knows it. */
    private static SamStack describe(Emulator emulator, String stackName, JsonNode translated) {
        CloudFormationClient cfn = emulator.client(CloudFormationClient.builder());
        Stack stack = cfn.describeStacks(b -> b.stackName(stackName)).stacks().get(0);
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
                    e.getValue().path("handler").asText(conf.handler()), env, sources, async(e.getValue().path("async"), outputs),
                    e.getValue().path("runtime").isTextual() ? e.getValue().get("runtime").asText() : conf.runtimeAsString(),
                    e.getValue().path("codeDir").isTextual() ? Path.of(e.getValue().get("codeDir").asText()) : null));
        });
        return new SamStack(emulator, stackName, outputs, exports, physical, functions);
    }

    /** The function's asynchronous invocation settings, as CloudFormation resolved them (see sam_local.py). */
    private static FunctionSpec.Async async(JsonNode manifest, Map<String, String> outputs) {
        FunctionSpec.Async d = FunctionSpec.Async.DEFAULT;
        java.util.function.Function<String, String> out = key -> manifest.hasNonNull(key) ? outputs.get(manifest.get(key).asText()) : null;
        String retries = out.apply("retriesOutput");
        String maxAge = out.apply("maxAgeOutput");
        return new FunctionSpec.Async(
                retries == null ? d.maximumRetryAttempts() : (int) Double.parseDouble(retries),
                maxAge == null ? d.maximumEventAgeInSeconds() : (int) Double.parseDouble(maxAge),
                out.apply("onFailureOutput"), out.apply("onSuccessOutput"), out.apply("dlqOutput"));
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
        // Intrinsic functions in the attributes resolved by CloudFormation (see sam_local.py), as on AWS.
        if (source.hasNonNull("filterPolicy")) {
            source.set("filterPolicy", resolved(source.get("filterPolicy"), outputs));
            attributes.put("FilterPolicy", source.get("filterPolicy").toString());
        }
        if (source.hasNonNull("filterPolicyScope")) {
            source.set("filterPolicyScope", resolved(source.get("filterPolicyScope"), outputs));
            attributes.put("FilterPolicyScope", source.get("filterPolicyScope").asText());
        }
        String subscriptionArn;
        String lambdaSubscriptionArn;
        try {
            subscriptionArn = sns.subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(queueArn).attributes(attributes))
                    .subscriptionArn();
            // The function's own subscription, as CloudFormation makes it: what the topic lists and the
            // registrar registers. Deliveries still go through the queue (moto cannot run Lambda code).
            lambdaSubscriptionArn = sns.subscribe(b -> b.topicArn(topicArn).protocol("lambda").endpoint(functionArn)
                    .attributes(attributes)).subscriptionArn();
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            String event = source.path("event").asText(source.path("queue").asText());
            throw new IllegalStateException("resource " + event + " (the SNS event of " + functionArn + "): SNS refused the subscription to "
                    + topicArn + " with " + attributes + ": " + e.getMessage(), e);
        }
        source.put("topicArn", topicArn);
        source.put("subscriptionArn", lambdaSubscriptionArn);
        source.put("deliverySubscriptionArn", subscriptionArn);
        return source;
    }

    /**
     * A subscription attribute with the values CloudFormation resolved put back where sam_local.py left
     * a marker for an intrinsic function ({@code {"TestkitOutput": NAME, "list": bool}}).
     */
    static JsonNode resolved(JsonNode node, Map<String, String> outputs) {
        if (node.isObject() && node.size() == 2 && node.path("TestkitOutput").isTextual() && node.has("list")) {
            String name = node.get("TestkitOutput").asText();
            String value = outputs.get(name);
            if (value == null) {
                throw new IllegalStateException("CloudFormation did not resolve an intrinsic function of a subscription attribute (output "
                        + name + " is missing)");
            }
            if (!node.get("list").asBoolean()) {
                return JSON.getNodeFactory().textNode(value);
            }
            var list = JSON.createArrayNode();
            for (String item : value.split(",", -1)) {
                list.add(item);
            }
            return list;
        }
        if (node.isObject()) {
            var copy = JSON.createObjectNode();
            node.fields().forEachRemaining(e -> copy.set(e.getKey(), resolved(e.getValue(), outputs)));
            return copy;
        }
        if (node.isArray()) {
            var copy = JSON.createArrayNode();
            node.forEach(item -> copy.add(resolved(item, outputs)));
            return copy;
        }
        return node;
    }

    private static Stack awaitStatus(CloudFormationClient cfn, String stackName, String wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Stack s = cfn.describeStacks(b -> b.stackName(stackName)).stacks().get(0);
            String status = s.stackStatusAsString();
            if (status.equals(wanted)) {
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

    private static void uploadPlaceholderCode(Emulator emulator, String key) {
        S3Client s3 = emulator.client(S3Client.builder().forcePathStyle(true));
        if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(CODE_BUCKET))) {
            s3.createBucket(b -> b.bucket(CODE_BUCKET));
        }
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("README.txt"));
            z.write(("Handlers run in-process; this zip only satisfies CloudFormation. " + key).getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        s3.putObject(b -> b.bucket(CODE_BUCKET).key(key), RequestBody.fromBytes(zip.toByteArray()));
    }

    /** Runs sam_local.py (SAM translator + rewiring) and returns its JSON. */
    static JsonNode translate(Path template, Map<String, String> parameters, String codeKey) {
        try {
            Path script = Files.createTempFile("sam_local", ".py");
            try (InputStream in = SamStack.class.getResourceAsStream("sam_local.py")) {
                Files.write(script, in.readAllBytes());
            }
            String python = System.getenv().getOrDefault("ORCHESTRATOR_PYTHON", "python3");
            Process p = new ProcessBuilder(python, script.toString(), template.toAbsolutePath().toString(),
                    JSON.writeValueAsString(parameters), CODE_BUCKET, codeKey).start();
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

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    /** Physical ids by logical id (for a rule, its ARN). */
    public Map<String, String> physicalIds() {
        return physicalIds;
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
