package dev.orchestrator.testkit;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Runs a deployed stack's Lambda handlers in this JVM and delivers their events as Lambda would:
 * SNS (through the delivery queue that replaced the Lambda subscription, same filter policy),
 * SQS (polled, batch, partial batch failures, redelivery so redrive/DLQ happens), DynamoDB streams
 * (per shard, in order, a failed batch retried), EventBridge rules (delivery queue; after the
 * retries the event goes to the target's DLQ). Nothing is mocked: every message went through the
 * emulator.
 */
public final class LocalLambdaRuntime implements AutoCloseable {

    /** A delivery that failed for good and had no DLQ to go to. */
    public record FailedDelivery(String function, String event, String error) {
    }

    private final Emulator emulator;
    private final SqsClient sqs;
    private final SnsClient sns;
    private final DynamoDbClient dynamo;
    private final DynamoDbStreamsClient streams;
    private final Map<String, Deployed> functions = new LinkedHashMap<>();
    private final ExecutorService pollers = Executors.newCachedThreadPool(daemon("lambda-poller"));
    private final ExecutorService invocations = Executors.newCachedThreadPool(daemon("lambda-invoke"));
    private final List<Future<?>> running = new CopyOnWriteArrayList<>();
    private final List<FailedDelivery> failed = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Map<String, String> extraEnvironment;
    private final Map<String, java.util.concurrent.atomic.LongAdder> invocationCounts = new ConcurrentHashMap<>();

    private final LocalInvokeServer invokeServer;

    private record Deployed(FunctionSpec spec, RequestStreamHandler handler) {
    }

    public LocalLambdaRuntime(Emulator emulator, SamStack stack) {
        this(emulator, stack, Map.of());
    }

    /** @param extraEnvironment added to every function's environment (e.g. overrides for local runs) */
    public LocalLambdaRuntime(Emulator emulator, SamStack stack, Map<String, String> extraEnvironment) {
        this.emulator = emulator;
        this.sqs = emulator.client(SqsClient.builder());
        this.sns = emulator.client(SnsClient.builder());
        this.dynamo = emulator.client(DynamoDbClient.builder());
        this.streams = emulator.client(DynamoDbStreamsClient.builder());
        this.invokeServer = new LocalInvokeServer((name, payload) -> invoke(logicalIdOf(name), payload),
                (name, payload) -> invokeAsync(logicalIdOf(name), payload));
        Map<String, String> extra = new LinkedHashMap<>(extraEnvironment);
        extra.put("LAMBDA_ENDPOINT_URL", invokeServer.endpoint());
        this.extraEnvironment = Map.copyOf(extra);
        add(stack);
    }

    /** Adds another deployed stack's functions (e.g. a plugin stack); call before or after start. */
    public LocalLambdaRuntime add(SamStack stack) {
        return add(stack, LocalLambdaRuntime.class.getClassLoader());
    }

    /**
     * Adds a stack whose Java handlers load from {@code classes} (e.g. a plugin project's build output
     * in a class loader of its own); Python and Node handlers run as subprocesses either way.
     */
    public LocalLambdaRuntime add(SamStack stack, ClassLoader classes) {
        return add(stack, classes, spec -> Map.of());
    }

    /**
     * The same, with environment variables of each function's own on top of the runtime's (e.g. an
     * {@code AWS_ENDPOINT_URL} that lets a local run watch one plugin's calls).
     */
    public LocalLambdaRuntime add(SamStack stack, ClassLoader classes,
                                  java.util.function.Function<FunctionSpec, Map<String, String>> environment) {
        stack.functions().forEach((id, spec) -> functions.put(id, new Deployed(spec, instantiate(spec, classes, environment.apply(spec)))));
        for (FunctionSpec spec : stack.functions().values()) {
            if (!stopped.get() && !running.isEmpty()) {
                startSources(spec, stack);
            }
        }
        stacks.add(stack);
        return this;
    }

    private final List<SamStack> stacks = new CopyOnWriteArrayList<>();

    private RequestStreamHandler instantiate(FunctionSpec spec, ClassLoader classes, Map<String, String> own) {
        String className = spec.handler().split("::")[0];
        Map<String, String> env = new LinkedHashMap<>(spec.environment());
        env.put("AWS_LAMBDA_FUNCTION_NAME", spec.functionName()); // as Lambda sets it; names the function's SDK clients
        env.putAll(emulator.clientEnvironment());
        env.putAll(extraEnvironment);
        env.putAll(own);
        if (SubprocessHandler.runs(spec.runtime())) {
            return new SubprocessHandler(spec, env);
        }
        try {
            Class<?> type = Class.forName(className, true, classes);
            return (RequestStreamHandler) type.getConstructor(Map.class).newInstance(env);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("handler class " + className + " of " + spec.logicalId() + " is not on the classpath", e);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(className + " needs a public constructor taking Map<String,String> (the environment)", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("constructing " + className + " failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts delivering every function's event sources. */
    public synchronized LocalLambdaRuntime start() {
        if (!running.isEmpty()) {
            return this;
        }
        running.add(pollers.submit(() -> { }));
        for (SamStack stack : stacks) {
            for (FunctionSpec spec : stack.functions().values()) {
                startSources(spec, stack);
            }
        }
        return this;
    }

    /** Starts delivering the event sources of one added stack only (e.g. a plugin's queue worker, without the engine). */
    public synchronized LocalLambdaRuntime startOnly(SamStack stack) {
        running.add(pollers.submit(() -> { }));
        for (FunctionSpec spec : stack.functions().values()) {
            startSources(spec, stack);
        }
        return this;
    }

    private void startSources(FunctionSpec spec, SamStack stack) {
        for (JsonNode source : spec.sources()) {
            switch (source.path("type").asText()) {
                case "sns" -> running.add(pollers.submit(() -> pollSns(spec.logicalId(), queueUrl(stack.physicalId(source.get("queue").asText())),
                        source.path("subscriptionArn").asText("arn:local:subscription:" + spec.functionName()), false)));
                case "sqs" -> running.add(pollers.submit(() -> pollSqs(spec.logicalId(), queueUrl(stack.physicalId(source.get("queue").asText())),
                        source.path("batchSize").asInt(10), source.path("reportBatchItemFailures").asBoolean())));
                case "dynamodb" -> running.add(pollers.submit(() -> pollStream(spec.logicalId(),
                        stack.physicalId(source.get("table").asText()), source.path("batchSize").asInt(100),
                        source.path("batchingWindowSeconds").asInt(0))));
                case "eventbridge" -> running.add(pollers.submit(() -> pollRule(spec.logicalId(),
                        stack.physicalIds().getOrDefault(source.path("rule").asText(), source.path("rule").asText()),
                        queueUrl(stack.physicalId(source.get("queue").asText())),
                        source.hasNonNull("dlq") ? queueUrl(stack.physicalId(source.get("dlq").asText())) : null,
                        Math.min(2, source.path("maximumRetryAttempts").asInt(2)))));
                default -> { } // schedules: invoke directly when a test wants one
            }
        }
    }

    /** Invokes a function directly (RequestResponse); the handler's exception is rethrown. */
    public String invoke(String logicalId, String json) {
        Deployed d = functions.get(logicalId);
        if (d == null) {
            throw new IllegalArgumentException("no function " + logicalId + "; known: " + functions.keySet());
        }
        return call(d, json);
    }

    /**
     * Invokes a function asynchronously (InvocationType Event): returns at once; a failure is retried
     * and then sent to the function's on-failure destination, as Lambda does.
     */
    public void invokeAsync(String logicalId, String json) {
        if (!functions.containsKey(logicalId)) {
            throw new IllegalArgumentException("no function " + logicalId + "; known: " + functions.keySet());
        }
        invocations.submit(() -> deliverAsync(logicalId, json));
    }

    /** The function whose physical name or ARN this is, for callers that only know those. */
    public String logicalIdOf(String nameOrArn) {
        for (Deployed d : functions.values()) {
            if (d.spec().functionName().equals(nameOrArn) || d.spec().functionArn().equals(nameOrArn)
                    || nameOrArn.endsWith(":function:" + d.spec().functionName())) {
                return d.spec().logicalId();
            }
        }
        throw new IllegalArgumentException("no function named " + nameOrArn);
    }

    private String call(Deployed d, String json) {
        Gate gate = gate(d.spec().logicalId());
        gate.enter();
        try {
            invocationCounts.computeIfAbsent(d.spec().logicalId(), id -> new java.util.concurrent.atomic.LongAdder()).increment();
            return call(d.handler(), d.spec().functionName(), json);
        } finally {
            gate.leave();
        }
    }

    /**
     * Holds every invocation of one function, as setting its reserved concurrency to 0 does on AWS: its event
     * sources keep their events (a stream batch waits; waiting is not one of its retry attempts). Returns once
     * no invocation of it is running, so a test can change what the function talks to without racing it.
     */
    public void pause(String logicalId) {
        function(logicalId);
        gate(logicalId).close();
    }

    /** Lets a paused function's held invocations run. */
    public void resume(String logicalId) {
        gate(logicalId).open();
    }

    private final Map<String, Gate> gates = new ConcurrentHashMap<>();

    private Gate gate(String logicalId) {
        return gates.computeIfAbsent(logicalId, id -> new Gate());
    }

    /** Invocations running in one function, and whether new ones may start. */
    private static final class Gate {
        private boolean closed;
        private int running;

        synchronized void enter() {
            while (closed) {
                waitQuietly();
            }
            running++;
        }

        synchronized void leave() {
            running--;
            notifyAll();
        }

        synchronized void close() {
            closed = true;
            while (running > 0) {
                waitQuietly();
            }
        }

        synchronized void open() {
            closed = false;
            notifyAll();
        }

        private void waitQuietly() {
            try {
                wait(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while a function was paused", e);
            }
        }
    }

    /**
     * Handler invocations so far by function logical id (direct invokes, event deliveries and their
     * retries, each batch once), as Lambda would bill them. Functions never invoked are absent.
     */
    public Map<String, Long> invocations() {
        Map<String, Long> out = new java.util.TreeMap<>();
        invocationCounts.forEach((id, n) -> out.put(id, n.sum()));
        return out;
    }

    /** Invocations of one function so far (0 if never invoked). */
    public long invocations(String logicalId) {
        var n = invocationCounts.get(logicalId);
        return n == null ? 0 : n.sum();
    }

    /** Starts counting invocations from zero again. */
    public void resetInvocations() {
        invocationCounts.clear();
    }

    /** The deployed function with this logical id (its physical name names its SDK clients). */
    public FunctionSpec function(String logicalId) {
        Deployed d = functions.get(logicalId);
        if (d == null) {
            throw new IllegalArgumentException("no function " + logicalId + "; known: " + functions.keySet());
        }
        return d.spec();
    }

    private static String call(RequestStreamHandler handler, String name, String json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            handler.handleRequest(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), out, new LocalContext(name));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } catch (Error e) {
            // Lambda reports an unhandled Error (out of memory, stack overflow) as a function error, like an exception.
            throw new IllegalStateException("function error: " + e, e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Subscribes an in-process handler to a topic through a queue of its own, with an optional filter
     * policy: a plugin defined in test code. With {@code twice}, every message is delivered twice,
     * concurrently (SNS's at-least-once delivery made certain).
     */
    public String subscribe(String topicArn, String filterPolicy, RequestStreamHandler handler, boolean twice) {
        String name = "sub-" + UUID.randomUUID();
        String url = sqs.createQueue(b -> b.queueName(name).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "60"))).queueUrl();
        String arn = queueArn(url);
        Map<String, String> attributes = new LinkedHashMap<>();
        if (filterPolicy != null) {
            attributes.put("FilterPolicy", filterPolicy);
        }
        String subscriptionArn = sns.subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(arn).attributes(attributes)).subscriptionArn();
        String id = "subscriber-" + name;
        functions.put(id, new Deployed(new FunctionSpec(id, id, "arn:local:" + id, handler.getClass().getName(), Map.of(), List.of()), handler));
        running.add(pollers.submit(() -> pollSns(id, url, subscriptionArn, twice)));
        return subscriptionArn;
    }

    /** Delivers an SQS queue to an in-process handler, as an SQS event source mapping would. */
    public void subscribeQueue(String queueUrl, RequestStreamHandler handler, int batchSize, boolean reportBatchItemFailures) {
        String id = "queue-consumer-" + UUID.randomUUID();
        functions.put(id, new Deployed(new FunctionSpec(id, id, "arn:local:" + id, handler.getClass().getName(), Map.of(), List.of()), handler));
        running.add(pollers.submit(() -> pollSqs(id, queueUrl, batchSize, reportBatchItemFailures)));
    }

    public List<FailedDelivery> failedDeliveries() {
        return List.copyOf(failed);
    }

    /** Every failed asynchronous invocation, also those a retry then recovered (a function error, not an overload). */
    public List<FailedDelivery> invocationErrors() {
        return List.copyOf(invocationErrors);
    }

    /**
     * Waits until no asynchronous invocation is running or waiting for its retry (each ends delivered,
     * at its destination, or in {@link #failedDeliveries()}); false when the ceiling passed first.
     */
    public boolean awaitAsyncIdle(Duration ceiling) {
        long deadline = System.nanoTime() + ceiling.toNanos();
        while (asyncInFlight.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Emulator.sleep(100);
        }
        return true;
    }

    private final List<FailedDelivery> invocationErrors = new CopyOnWriteArrayList<>();
    private final List<FailedDelivery> exhausted = new CopyOnWriteArrayList<>();

    /**
     * Asynchronous deliveries whose every attempt failed, whether then kept at the function's on-failure
     * destination or DLQ or lost (those also in {@link #failedDeliveries()}).
     */
    public List<FailedDelivery> exhaustedDeliveries() {
        return List.copyOf(exhausted);
    }
    private final java.util.concurrent.atomic.AtomicInteger asyncInFlight = new java.util.concurrent.atomic.AtomicInteger();

    // ------------------------------------------------------------------ pollers

    private void pollSns(String function, String queueUrl, String subscriptionArn, boolean twice) {
        while (!stopped.get()) {
            List<Message> messages = receive(queueUrl, 10);
            for (Message m : messages) {
                // Lambda accepted the event: SNS is done with it, whatever the function does. Its retries
                // may now span hours (deliverAsync), far past the delivery message's visibility, so the
                // message goes at once; the event lives on in the async path until delivered or sent to
                // the function's failure destination.
                if (!quietly(function, "deleting a delivered SNS message",
                        () -> sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())))) {
                    continue; // it comes back after its visibility timeout and is accepted then
                }
                String event = LambdaEvents.sns(parse(m.body()), subscriptionArn).toString();
                invocations.submit(() -> {
                    if (twice) {
                        Future<?> second = invocations.submit(() -> deliverAsync(function, event));
                        deliverAsync(function, event);
                        await(second);
                    } else {
                        deliverAsync(function, event);
                    }
                });
            }
        }
    }

    /** Runs an emulator call whose failure must not stop a poller; false (and a log line) when it failed. */
    private boolean quietly(String function, String what, Runnable call) {
        try {
            call.run();
            return true;
        } catch (RuntimeException e) {
            if (!stopped.get()) {
                log(function, what + " failed, will be retried: " + e);
                Emulator.sleep(200);
            }
            return false;
        }
    }

    private volatile RetrySchedule overloadRetry = RetrySchedule.ASYNC_SYSTEM;
    private volatile RetrySchedule sqsRetry = RetrySchedule.SQS_VISIBILITY;

    /**
     * Replaces the schedule for events that could not run because the emulator or this machine was
     * overloaded (default {@link RetrySchedule#ASYNC_SYSTEM}; its horizon is replaced by each
     * function's MaximumEventAgeInSeconds when that is shorter). For tests that need it in seconds.
     */
    public LocalLambdaRuntime overloadRetry(RetrySchedule schedule) {
        this.overloadRetry = schedule;
        return this;
    }

    /** Replaces the spacing of a failed SQS message's receives (default {@link RetrySchedule#SQS_VISIBILITY}). */
    public LocalLambdaRuntime sqsRetry(RetrySchedule schedule) {
        this.sqsRetry = schedule;
        return this;
    }

    /**
     * Whether a failure means the function could not do its work because the emulator or this machine
     * was overloaded, not because of the event: the emulator did not answer (a connection or timeout
     * error under the SDK) or answered that it was throttling or failing (429, 5xx). AWS retries such
     * events (throttles, service errors) for hours; a function error proper gets the function's
     * MaximumRetryAttempts.
     */
    static boolean overloaded(Throwable e) {
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof software.amazon.awssdk.awscore.exception.AwsServiceException s) {
                return s.isThrottlingException() || s.statusCode() == 429 || s.statusCode() >= 500;
            }
            if (t instanceof software.amazon.awssdk.core.exception.ApiCallTimeoutException
                    || t instanceof software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException
                    || t instanceof java.net.ConnectException || t instanceof java.net.SocketTimeoutException
                    || t instanceof java.net.http.HttpTimeoutException) {
                return true;
            }
            if (t instanceof software.amazon.awssdk.core.exception.SdkClientException
                    && t.getCause() instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Lambda's asynchronous invocation (SNS, EventBridge, schedules, Invoke with InvocationType Event):
     * Lambda has accepted the event; a function error is retried {@code MaximumRetryAttempts} times
     * (AWS waits about 1 and 2 minutes; here 1 and 2 seconds), then the event goes to the function's
     * on-failure destination as a destination record and to its dead-letter queue, or is discarded
     * (recorded in {@link #failedDeliveries()}). The event source never sees the error.
     * A failure that says the emulator or this machine was overloaded ({@link #overloaded}) is not the
     * event's fault: like a throttled event on AWS it is retried with backoff ({@link #overloadRetry})
     * for up to the function's MaximumEventAgeInSeconds, then goes the same way, so load alone never
     * loses an event.
     */
    void deliverAsync(String function, String event) {
        asyncInFlight.incrementAndGet();
        try {
            deliverAsyncCounted(function, event);
        } finally {
            asyncInFlight.decrementAndGet();
        }
    }

    private void deliverAsyncCounted(String function, String event) {
        Deployed d = functions.get(function);
        FunctionSpec.Async config = d.spec().async();
        RetrySchedule overload = overloadRetry;
        Duration eventAge = Duration.ofSeconds(config.maximumEventAgeInSeconds());
        if (eventAge.compareTo(overload.horizon()) < 0) {
            overload = overload.withHorizon(eventAge);
        }
        long acceptedAt = System.currentTimeMillis();
        RuntimeException last = null;
        int invocations = 0;
        int functionErrors = 0;
        int overloads = 0;
        String condition = "RetriesExhausted";
        while (!stopped.get()) {
            try {
                invocations++;
                String response = call(d, event);
                if (config.onSuccessArn() != null) {
                    sendRecord(config.onSuccessArn(), record(d.spec(), event, "Success", invocations, null, response));
                }
                if (overloads + functionErrors > 0) {
                    log(function, "async invocation " + invocations + " succeeded after " + (invocations - 1) + " failed one(s)");
                }
                return;
            } catch (RuntimeException e) {
                last = e;
                long elapsed = System.currentTimeMillis() - acceptedAt;
                if (overloaded(e)) {
                    // Not the event's fault: retried like a throttled event, over the event's maximum age.
                    overloads++;
                    java.util.OptionalLong wait = overload.next(overloads, elapsed);
                    if (wait.isEmpty()) {
                        condition = "EventAgeExceeded";
                        break;
                    }
                    log(function, "async invocation " + invocations + " could not run (emulator or machine overloaded: " + e
                            + "); retry in " + wait.getAsLong() + " ms");
                    Emulator.sleep(wait.getAsLong());
                    continue;
                }
                functionErrors++;
                invocationErrors.add(new FailedDelivery(function, event, String.valueOf(e)));
                log(function, "async invocation " + invocations + " failed: " + e);
                if (functionErrors > config.maximumRetryAttempts()) {
                    break;
                }
                Emulator.sleep(1000L * functionErrors);
                if (System.currentTimeMillis() - acceptedAt > config.maximumEventAgeInSeconds() * 1000L) {
                    condition = "EventAgeExceeded";
                    break;
                }
            }
        }
        if (last == null) {
            return; // stopped
        }
        exhausted.add(new FailedDelivery(function, event, String.valueOf(last)));
        boolean kept = false;
        if (config.onFailureArn() != null) {
            sendRecord(config.onFailureArn(), record(d.spec(), event, condition, invocations, last, null));
            kept = true;
        }
        if (config.deadLetterArn() != null) {
            sendDeadLetter(config.deadLetterArn(), event, last);
            kept = true;
        }
        if (kept) {
            log(function, "event sent to its on-failure destination after " + invocations + " invocation(s): " + last);
        } else {
            fail(function, event, last);
        }
    }

    /** An invocation record as Lambda sends it to a destination. */
    private static String record(FunctionSpec spec, String event, String condition, int invocations,
                                 RuntimeException error, String response) {
        ObjectNode r = SamStack.JSON.createObjectNode();
        r.put("version", "1.0");
        r.put("timestamp", java.time.Instant.now().toString());
        ObjectNode request = r.putObject("requestContext");
        request.put("requestId", UUID.randomUUID().toString());
        request.put("functionArn", spec.functionArn() + ":$LATEST");
        request.put("condition", condition);
        request.put("approximateInvokeCount", invocations);
        r.set("requestPayload", parse(event));
        ObjectNode responseContext = r.putObject("responseContext");
        responseContext.put("statusCode", 200);
        responseContext.put("executedVersion", "$LATEST");
        if (error != null) {
            responseContext.put("functionError", "Unhandled");
            ObjectNode payload = r.putObject("responsePayload");
            payload.put("errorMessage", String.valueOf(error.getMessage()));
            payload.put("errorType", error.getClass().getName());
            var trace = payload.putArray("stackTrace");
            for (StackTraceElement el : error.getStackTrace()) {
                if (trace.size() == 10) {
                    break;
                }
                trace.add(el.toString());
            }
        } else {
            r.set("responsePayload", response == null || response.isBlank() ? null : parse(response));
        }
        return r.toString();
    }

    /** A destination or dead-letter target: SQS queue or SNS topic, by ARN. */
    private void sendRecord(String arn, String body) {
        send(arn, body, Map.of());
    }

    /** Lambda's dead-letter queue: the event itself, with the error in message attributes. */
    private void sendDeadLetter(String arn, String event, RuntimeException error) {
        String message = String.valueOf(error.getMessage());
        send(arn, event, Map.of("RequestID", UUID.randomUUID().toString(), "ErrorCode", "200",
                "ErrorMessage", message.length() > 1024 ? message.substring(0, 1024) : message));
    }

    private void send(String arn, String body, Map<String, String> attributes) {
        String[] parts = arn.split(":");
        if (parts.length < 6) {
            throw new IllegalArgumentException("not an ARN: " + arn);
        }
        switch (parts[2]) {
            case "sqs" -> {
                String url = queueUrl(parts[5]);
                Map<String, software.amazon.awssdk.services.sqs.model.MessageAttributeValue> attrs = new LinkedHashMap<>();
                attributes.forEach((k, v) -> attrs.put(k, software.amazon.awssdk.services.sqs.model.MessageAttributeValue.builder()
                        .dataType("String").stringValue(v).build()));
                sqs.sendMessage(b -> b.queueUrl(url).messageBody(body).messageAttributes(attrs));
            }
            case "sns" -> {
                Map<String, software.amazon.awssdk.services.sns.model.MessageAttributeValue> attrs = new LinkedHashMap<>();
                attributes.forEach((k, v) -> attrs.put(k, software.amazon.awssdk.services.sns.model.MessageAttributeValue.builder()
                        .dataType("String").stringValue(v).build()));
                sns.publish(b -> b.topicArn(arn).message(body).messageAttributes(attrs));
            }
            default -> throw new IllegalStateException("destination type not modelled by the test kit: " + arn);
        }
    }

    private void pollSqs(String function, String queueUrl, int batchSize, boolean partial) {
        String arn = queueArn(queueUrl);
        while (!stopped.get()) {
            List<Message> messages = receive(queueUrl, Math.min(10, batchSize));
            if (messages.isEmpty()) {
                continue;
            }
            Set<String> failedIds = new HashSet<>();
            try {
                String out = call(functions.get(function), LambdaEvents.sqs(messages, arn).toString());
                if (partial && out != null && !out.isBlank()) {
                    parse(out).path("batchItemFailures").forEach(f -> failedIds.add(f.path("itemIdentifier").asText()));
                }
            } catch (RuntimeException e) {
                messages.forEach(m -> failedIds.add(m.messageId()));
                log(function, "batch failed, " + messages.size() + " message(s) return to the queue: " + e);
            }
            for (Message m : messages) {
                if (failedIds.contains(m.messageId())) {
                    // Back on the queue after a backoff by its receive count (AWS: the queue's visibility
                    // timeout); the queue's redrive policy moves it to its DLQ after maxReceiveCount.
                    int visibility = failedVisibilitySeconds(queueUrl, m);
                    quietly(function, "returning a failed message to its queue", () -> sqs.changeMessageVisibility(b -> b
                            .queueUrl(queueUrl).receiptHandle(m.receiptHandle()).visibilityTimeout(visibility)));
                } else {
                    quietly(function, "deleting a handled message", () -> sqs.deleteMessage(b -> b.queueUrl(queueUrl)
                            .receiptHandle(m.receiptHandle())));
                }
            }
        }
    }

    private final Map<String, Integer> visibilityTimeouts = new ConcurrentHashMap<>();

    /** Seconds a failed message stays invisible: the SQS schedule by its receive count, at most the queue's timeout. */
    private int failedVisibilitySeconds(String queueUrl, Message m) {
        int queueTimeout = visibilityTimeouts.computeIfAbsent(queueUrl, u -> {
            try {
                return Integer.parseInt(sqs.getQueueAttributes(b -> b.queueUrl(u).attributeNames(QueueAttributeName.VISIBILITY_TIMEOUT))
                        .attributes().getOrDefault(QueueAttributeName.VISIBILITY_TIMEOUT, "30"));
            } catch (RuntimeException e) {
                return 30;
            }
        });
        int received;
        try {
            received = Integer.parseInt(m.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "1"));
        } catch (NumberFormatException e) {
            received = 1;
        }
        RetrySchedule schedule = sqsRetry.withCap(Duration.ofSeconds(Math.max(1, queueTimeout)));
        return (int) Math.max(1, Math.min(43_200, (schedule.delayMillis(Math.max(1, received)) + 999) / 1000));
    }

    private void pollStream(String function, String table, int batchSize, int batchingWindowSeconds) {
        String streamArn = dynamo.describeTable(b -> b.tableName(table)).table().latestStreamArn();
        if (streamArn == null) {
            throw new IllegalStateException("table " + table + " has no stream");
        }
        Map<String, String> iterators = new LinkedHashMap<>();
        while (!stopped.get()) {
            try {
                pollStreamOnce(function, streamArn, iterators, batchSize, batchingWindowSeconds);
            } catch (RuntimeException e) {
                // The emulator did not answer (a busy machine): the iterators stay where they were.
                if (!stopped.get()) {
                    log(function, "stream poll failed, will be retried: " + e);
                    Emulator.sleep(500);
                }
            }
        }
    }

    private void pollStreamOnce(String function, String streamArn, Map<String, String> iterators, int batchSize,
                                int batchingWindowSeconds) {
        for (Shard shard : streams.describeStream(b -> b.streamArn(streamArn)).streamDescription().shards()) {
            iterators.computeIfAbsent(shard.shardId(), id -> streams.getShardIterator(b -> b.streamArn(streamArn)
                    .shardId(id).shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator());
        }
        boolean any = false;
        for (Map.Entry<String, String> it : iterators.entrySet()) {
            if (it.getValue() == null) {
                continue;
            }
            GetRecordsResponse r = streams.getRecords(b -> b.shardIterator(it.getValue()).limit(batchSize));
            List<software.amazon.awssdk.services.dynamodb.model.Record> batch = new java.util.ArrayList<>(r.records());
            String next = r.nextShardIterator();
            if (!batch.isEmpty() && batchingWindowSeconds > 0) {
                // MaximumBatchingWindowInSeconds: Lambda gathers records for up to the window (or a full batch).
                long until = System.currentTimeMillis() + batchingWindowSeconds * 1000L;
                while (batch.size() < batchSize && next != null && System.currentTimeMillis() < until && !stopped.get()) {
                    Emulator.sleep(50);
                    String from = next;
                    GetRecordsResponse more = streams.getRecords(b -> b.shardIterator(from).limit(batchSize - batch.size()));
                    batch.addAll(more.records());
                    next = more.nextShardIterator();
                }
            }
            if (!batch.isEmpty()) {
                any = true;
                deliverStreamBatch(function, batch, streamArn);
            }
            it.setValue(next);
        }
        if (!any) {
            Emulator.sleep(50);
        }
    }

    /**
     * A stream batch as Lambda delivers it with ReportBatchItemFailures: when the function names a failed
     * record, the records from that one on are delivered again (those before it are checkpointed).
     */
    private void deliverStreamBatch(String function, List<software.amazon.awssdk.services.dynamodb.model.Record> records,
                                    String streamArn) {
        List<software.amazon.awssdk.services.dynamodb.model.Record> batch = records;
        int overloads = 0;
        long firstTry = System.currentTimeMillis();
        for (int attempt = 1; !stopped.get() && !batch.isEmpty(); attempt++) {
            String event = LambdaEvents.dynamodb(batch, streamArn).toString();
            String out;
            try {
                out = call(functions.get(function), event);
            } catch (RuntimeException e) {
                java.util.OptionalLong wait = overloaded(e)
                        ? overloadRetry.next(++overloads, System.currentTimeMillis() - firstTry) : java.util.OptionalLong.empty();
                if (wait.isPresent()) {
                    // The emulator or machine was too busy: not one of the source's retry attempts.
                    attempt--;
                    log(function, "batch could not run (emulator or machine overloaded: " + e + "); retry in " + wait.getAsLong() + " ms");
                    Emulator.sleep(wait.getAsLong());
                    continue;
                }
                if (attempt >= 10) {
                    fail(function, event, e);
                    return;
                }
                log(function, "batch failed (attempt " + attempt + "), retrying: " + e);
                Emulator.sleep(Math.min(2000, 100L * attempt * attempt));
                continue;
            }
            String failedSequence = null;
            if (out != null && out.startsWith("{")) {
                JsonNode failures = parse(out).path("batchItemFailures");
                for (JsonNode f : failures) {
                    String seq = f.path("itemIdentifier").asText();
                    if (failedSequence == null || new java.math.BigInteger(seq).compareTo(new java.math.BigInteger(failedSequence)) < 0) {
                        failedSequence = seq;
                    }
                }
            }
            if (failedSequence == null) {
                return;
            }
            String from = failedSequence;
            batch = batch.stream().filter(rec -> new java.math.BigInteger(rec.dynamodb().sequenceNumber())
                    .compareTo(new java.math.BigInteger(from)) >= 0).toList();
            if (attempt >= 10) {
                fail(function, event, new IllegalStateException("records from " + from + " kept failing"));
                return;
            }
            log(function, "records from sequence " + from + " failed (attempt " + attempt + "), retrying them");
            Emulator.sleep(Math.min(2000, 100L * attempt * attempt));
        }
    }

    /**
     * An EventBridge rule target: EventBridge invokes Lambda asynchronously, so its delivery succeeds
     * once Lambda accepts the event, and function errors follow Lambda's async path
     * ({@link #deliverAsync}). The rule's retry policy and dead-letter queue apply only when the event
     * cannot be delivered at all: here, when the target function is no longer running.
     */
    private void pollRule(String function, String ruleArn, String queueUrl, String dlqUrl, int retries) {
        while (!stopped.get()) {
            for (Message m : receive(queueUrl, 10)) {
                if (!quietly(function, "deleting a delivered rule event",
                        () -> sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())))) {
                    continue; // delivered when it is received again
                }
                invocations.submit(() -> {
                    for (int attempt = 0; attempt <= retries && !stopped.get(); attempt++) {
                        if (functions.containsKey(function)) {
                            deliverAsync(function, m.body());
                            return;
                        }
                        if (attempt < retries) {
                            Emulator.sleep(1000L << attempt); // EventBridge backs off between retries
                        }
                    }
                    String why = "function " + function + " does not exist";
                    if (dlqUrl != null) {
                        sqs.sendMessage(b -> b.queueUrl(dlqUrl).messageBody(m.body()).messageAttributes(Map.of(
                                "ERROR_CODE", attribute("ResourceNotFoundException"), "ERROR_MESSAGE", attribute(why),
                                "RULE_ARN", attribute(ruleArn))));
                        log(function, "event could not be delivered, sent to the rule's dead-letter queue: " + why);
                    } else {
                        fail(function, m.body(), new IllegalStateException(why));
                    }
                });
            }
        }
    }

    private static software.amazon.awssdk.services.sqs.model.MessageAttributeValue attribute(String value) {
        return software.amazon.awssdk.services.sqs.model.MessageAttributeValue.builder().dataType("String").stringValue(value).build();
    }

    // ------------------------------------------------------------------ helpers

    private List<Message> receive(String queueUrl, int max) {
        try {
            return sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(max).waitTimeSeconds(1)
                    .messageSystemAttributeNames(MessageSystemAttributeName.ALL).messageAttributeNames("All")).messages();
        } catch (RuntimeException e) {
            if (stopped.get()) {
                return List.of();
            }
            Emulator.sleep(200);
            return List.of();
        }
    }

    private String queueUrl(String physicalId) {
        if (physicalId.startsWith("http")) {
            return physicalId;
        }
        String name = physicalId.contains(":") ? physicalId.substring(physicalId.lastIndexOf(':') + 1) : physicalId;
        return sqs.getQueueUrl(b -> b.queueName(name)).queueUrl();
    }

    private final Map<String, String> arns = new ConcurrentHashMap<>();

    private String queueArn(String url) {
        return arns.computeIfAbsent(url, u -> sqs.getQueueAttributes(b -> b.queueUrl(u).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN));
    }

    private void fail(String function, String event, RuntimeException e) {
        failed.add(new FailedDelivery(function, event, String.valueOf(e)));
        log(function, "DELIVERY FAILED for good: " + e);
    }

    private static void log(String function, String message) {
        System.out.println("[local-lambda " + function + "] " + message);
    }

    private static JsonNode parse(String json) {
        try {
            return SamStack.JSON.readTree(json);
        } catch (Exception e) {
            ObjectNode o = SamStack.JSON.createObjectNode();
            o.put("Message", json);
            return o;
        }
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Where Lambda's Invoke API answers with this runtime's handlers (set in every function's env as LAMBDA_ENDPOINT_URL). */
    public String lambdaEndpoint() {
        return invokeServer.endpoint();
    }

    @Override
    public void close() {
        invokeServer.close();
        stopped.set(true);
        pollers.shutdownNow();
        invocations.shutdownNow();
        functions.values().forEach(d -> {
            if (d.handler() instanceof SubprocessHandler p) {
                p.close();
            }
        });
    }

    /** All functions of the runtime by logical id (for tools that list them). */
    public Set<String> functionIds() {
        return functions.keySet();
    }
}
