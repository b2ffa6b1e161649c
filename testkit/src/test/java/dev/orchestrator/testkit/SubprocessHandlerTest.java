package dev.orchestrator.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python and Node handlers answer as RequestStreamHandlers: results, errors, environment, one process per concurrent call. */
class SubprocessHandlerTest {

    @TempDir
    Path dir;

    @Test
    void aPythonHandlerGetsTheEventAndItsEnvironmentAndItsFailuresNameTheError() throws Exception {
        Files.writeString(dir.resolve("app.py"), """
                import os, time
                def handler(event, context):
                    print("this goes to stderr, not into the reply")
                    if event.get("fail"):
                        raise ValueError("bad input: " + event["fail"])
                    time.sleep(event.get("sleep", 0))
                    return {"got": event, "greeting": os.environ["GREETING"], "fn": context.function_name, "pid": os.getpid()}
                """);
        try (SubprocessHandler h = new SubprocessHandler(spec("python3.12", "app.handler"), Map.of("GREETING", "hello"))) {
            JsonNode r = call(h, "{\"x\":1}");
            assertThat(r.path("got").path("x").asInt()).isEqualTo(1);
            assertThat(r.path("greeting").asText()).isEqualTo("hello");
            assertThat(r.path("fn").asText()).isEqualTo("fn-physical");
            assertThatThrownBy(() -> call(h, "{\"fail\":\"no uid\"}")).hasMessageContaining("ValueError: bad input: no uid");
            // Warm: the same process answers the next call after an error.
            assertThat(call(h, "{}").path("pid").asLong()).isEqualTo(r.path("pid").asLong());
            // Concurrent calls run in separate processes, as Lambda runs separate instances.
            var a = CompletableFuture.supplyAsync(() -> call(h, "{\"sleep\":0.5}"));
            var b = CompletableFuture.supplyAsync(() -> call(h, "{\"sleep\":0.5}"));
            assertThat(a.join().path("pid").asLong()).isNotEqualTo(b.join().path("pid").asLong());
        }
    }

    @Test
    void aNodeHandlerAsyncOrCallbackStyleAnswersLikewise() throws Exception {
        Files.writeString(dir.resolve("index.mjs"), """
                export const handler = async (event, context) => {
                  console.log('to stderr');
                  if (event.fail) throw new TypeError(`bad input: ${event.fail}`);
                  return { got: event, greeting: process.env.GREETING, fn: context.functionName };
                };
                export const callback = (event, context, done) => done(null, { cb: event.x });
                """);
        try (SubprocessHandler h = new SubprocessHandler(spec("nodejs20.x", "index.handler"), Map.of("GREETING", "hi"))) {
            JsonNode r = call(h, "{\"x\":2}");
            assertThat(r.path("got").path("x").asInt()).isEqualTo(2);
            assertThat(r.path("greeting").asText()).isEqualTo("hi");
            assertThatThrownBy(() -> call(h, "{\"fail\":\"no uid\"}")).hasMessageContaining("TypeError: bad input: no uid");
        }
        try (SubprocessHandler h = new SubprocessHandler(spec("nodejs20.x", "index.callback"), Map.of())) {
            assertThat(call(h, "{\"x\":3}").path("cb").asInt()).isEqualTo(3);
        }
    }

    @Test
    void aHandlerThatCannotLoadFailsTheInvocationWithItsOwnError() {
        try (SubprocessHandler h = new SubprocessHandler(spec("python3.11", "missing.handler"), Map.of())) {
            assertThatThrownBy(() -> call(h, "{}")).hasMessageContaining("died").hasMessageContaining("missing");
        }
        assertThat(SubprocessHandler.runs("java21")).isFalse();
        assertThatThrownBy(() -> new SubprocessHandler(new FunctionSpec("F", "f", "arn", "app.handler", Map.of(), List.of(),
                "python3.12", dir.resolve("nope")), Map.of())).hasMessageContaining("code folder");
    }

    private FunctionSpec spec(String runtime, String handler) {
        return new FunctionSpec("Fn", "fn-physical", "arn:aws:lambda:us-east-1:123456789012:function:fn-physical", handler,
                Map.of(), List.of(), runtime, dir);
    }

    private static JsonNode call(SubprocessHandler h, String event) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            h.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, new LocalContext("fn-physical"));
            return SamStack.JSON.readTree(out.toByteArray());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
