package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code scripts/local up} starts the web console on the local stack and prints its URL; the URL opens it. */
class LocalUpConsoleTest {

    @Test
    void upPrintsTheConsoleUrlAndTheConsoleAnswersWithItsTokenOnly() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8));
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream input = new PipedInputStream(typing);
        AtomicInteger code = new AtomicInteger(-1);
        Thread up = new Thread(() -> {
            try {
                code.set(LocalRunner.up(root, LocalSettings.parse(List.of("--activities", "Setup"), root), progress, input, true));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        up.start();
        Pattern line = Pattern.compile("Web console \\(runs, graphs, actions\\): (http://127\\.0\\.0\\.1:(\\d+)/runs\\?token=\\S+)");
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(5).toNanos();
        Matcher m = line.matcher("");
        while (!(m = line.matcher(out.toString(StandardCharsets.UTF_8))).find()) {
            assertThat(up.isAlive()).as("up ended early:\n" + out).isTrue();
            assertThat(System.nanoTime()).as("no console URL within 5 min:\n" + out).isLessThan(deadline);
            Thread.sleep(200);
        }
        String url = m.group(1);
        String base = "http://127.0.0.1:" + m.group(2);
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/runs")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(403);
        HttpResponse<String> first = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(303);
        String cookie = first.headers().firstValue("Set-Cookie").orElseThrow();
        HttpResponse<String> runs = http.send(HttpRequest.newBuilder(URI.create(base + "/runs"))
                .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(runs.statusCode()).isEqualTo(200);
        assertThat(runs.body()).contains("<h1>Runs</h1>").contains(LocalStack.STACK);

        typing.write("quit\n".getBytes(StandardCharsets.UTF_8));
        typing.flush();
        up.join(120_000);
        assertThat(code.get()).isZero();
        // The console stopped with the stack.
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/runs")).build(),
                HttpResponse.BodyHandlers.ofString()))).isInstanceOf(java.io.IOException.class);
    }
}
