package dev.orchestrator.testkit;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A Python or Node.js Lambda handler run as a subprocess, seen by the runtime as a
 * {@link RequestStreamHandler}. A small shim per language (resources {@code shims/}) loads the
 * handler from the function's code folder and answers one JSON line per invocation on stdin/stdout.
 * Like Lambda, one process serves one invocation at a time: concurrent invocations start more
 * processes (instances), which are kept for reuse (warm starts).
 */
public final class SubprocessHandler implements RequestStreamHandler, AutoCloseable {

    private final FunctionSpec spec;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Deque<Instance> idle = new ArrayDeque<>();
    private final List<Instance> all = new ArrayList<>();
    private boolean closed;

    /** True for the runtimes this class runs: {@code python3.x} and {@code nodejsNN.x}. */
    public static boolean runs(String runtime) {
        return runtime != null && (runtime.startsWith("python3") || runtime.startsWith("nodejs"));
    }

    /** @param environment the function's environment (template + emulator endpoint and credentials) */
    public SubprocessHandler(FunctionSpec spec, Map<String, String> environment) {
        if (!runs(spec.runtime())) {
            throw new IllegalArgumentException(spec.logicalId() + ": runtime " + spec.runtime() + " is not python3.x or nodejs*");
        }
        if (spec.codeDir() == null || !Files.isDirectory(spec.codeDir())) {
            throw new IllegalArgumentException(spec.logicalId() + ": code folder (CodeUri) " + spec.codeDir() + " does not exist");
        }
        if (spec.handler() == null || spec.handler().isBlank()) {
            throw new IllegalArgumentException(spec.logicalId() + " has no Handler");
        }
        this.spec = spec;
        boolean python = spec.runtime().startsWith("python");
        Path shim = shim(python ? "lambda_shim.py" : "lambda_shim.mjs");
        this.command = List.of(python ? python(spec.codeDir()) : "node", shim.toString(), spec.codeDir().toString(), spec.handler());
        Map<String, String> env = new LinkedHashMap<>();
        // What the interpreter needs to start; everything else is the function's own environment, as on Lambda.
        for (String keep : List.of("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")) {
            String v = System.getenv(keep);
            if (v != null) {
                env.put(keep, v);
            }
        }
        env.putAll(environment);
        env.putIfAbsent("AWS_DEFAULT_REGION", environment.getOrDefault("AWS_REGION", "us-east-1"));
        env.put("AWS_LAMBDA_FUNCTION_NAME", spec.functionName());
        env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + spec.runtime());
        env.put("LAMBDA_TASK_ROOT", spec.codeDir().toString());
        env.put("_HANDLER", spec.handler());
        env.put("PYTHONUNBUFFERED", "1");
        this.environment = Map.copyOf(env);
    }

    /** A virtualenv in the code folder (.venv) carries the handler's dependencies; else python3 on PATH. */
    private static String python(Path codeDir) {
        Path venv = codeDir.resolve(".venv/bin/python");
        return Files.isExecutable(venv) ? venv.toString() : "python3";
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = SamStack.JSON.readTree(input);
        ObjectNode request = SamStack.JSON.createObjectNode();
        request.set("event", event);
        ObjectNode c = request.putObject("context");
        c.put("functionName", spec.functionName());
        c.put("functionArn", spec.functionArn());
        c.put("awsRequestId", context != null ? context.getAwsRequestId() : UUID.randomUUID().toString());
        c.put("deadlineMs", System.currentTimeMillis() + 900_000);
        Instance instance = take();
        JsonNode reply;
        try {
            reply = instance.call(SamStack.JSON.writeValueAsString(request));
        } catch (IOException | RuntimeException e) {
            String tail = instance.stderrTail(); // before destroy: it closes the pipe the last lines are in
            instance.destroy();
            throw new IllegalStateException(spec.logicalId() + " (" + spec.runtime() + ") died: " + e.getMessage() + tail, e);
        }
        give(instance);
        if (reply.has("error")) {
            JsonNode err = reply.get("error");
            throw new IllegalStateException(spec.logicalId() + " (" + spec.runtime() + ") failed: "
                    + err.path("errorType").asText("Error") + ": " + err.path("errorMessage").asText());
        }
        output.write(SamStack.JSON.writeValueAsBytes(reply.get("result")));
    }

    private synchronized Instance take() {
        if (closed) {
            throw new IllegalStateException(spec.logicalId() + " is closed");
        }
        Instance i = idle.poll();
        if (i == null) {
            i = new Instance();
            all.add(i);
        }
        return i;
    }

    private synchronized void give(Instance i) {
        if (closed) {
            i.destroy();
        } else {
            idle.push(i);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        all.forEach(Instance::destroy);
        all.clear();
        idle.clear();
    }

    /** One interpreter process: one invocation at a time. */
    private final class Instance {
        private final Process process;
        private final Writer in;
        private final BufferedReader out;
        private final Deque<String> stderr = new ArrayDeque<>();
        private Thread stderrPump;

        Instance() {
            ProcessBuilder pb = new ProcessBuilder(command).directory(spec.codeDir().toFile());
            pb.environment().clear();
            pb.environment().putAll(environment);
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new IllegalStateException(spec.logicalId() + ": cannot start " + command.get(0) + " for runtime "
                        + spec.runtime() + " (is it installed and on PATH?): " + e.getMessage(), e);
            }
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            stderrPump = new Thread(this::forwardStderr, "stderr-" + spec.logicalId());
            stderrPump.setDaemon(true);
            stderrPump.start();
        }

        JsonNode call(String requestLine) throws IOException {
            in.write(requestLine);
            in.write('\n');
            in.flush();
            String line = out.readLine();
            if (line == null) {
                throw new IOException("the process ended without answering (exit " + waitExit() + ")");
            }
            return SamStack.JSON.readTree(line);
        }

        private String waitExit() {
            try {
                return process.waitFor(2, java.util.concurrent.TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "?";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "?";
            }
        }

        private void forwardStderr() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    System.err.println("[" + spec.logicalId() + "] " + line);
                    synchronized (stderr) {
                        stderr.addLast(line);
                        if (stderr.size() > 20) {
                            stderr.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                // the process is gone; nothing more to forward
            }
        }

        String stderrTail() {
            try {
                // A dead process's last lines (the actual error) may still be in the pipe: wait for the pump
                // to reach the end of the stream, not a fixed pause (a busy machine delivers them late).
                if (process.waitFor(3, java.util.concurrent.TimeUnit.SECONDS) && stderrPump != null) {
                    stderrPump.join(3_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (stderr) {
                return stderr.isEmpty() ? "" : "; its stderr ends:\n  " + String.join("\n  ", stderr);
            }
        }

        void destroy() {
            process.destroy();
        }
    }

    /** Copies a shim out of the jar once per JVM (interpreters need a file). */
    private static synchronized Path shim(String name) {
        try {
            Path dir = SHIM_DIR == null ? (SHIM_DIR = Files.createTempDirectory("lambda-shims")) : SHIM_DIR;
            Path file = dir.resolve(name);
            if (!Files.exists(file)) {
                try (InputStream s = SubprocessHandler.class.getResourceAsStream("shims/" + name)) {
                    if (s == null) {
                        throw new IllegalStateException("shim " + name + " missing from the test kit's resources");
                    }
                    Files.write(file, s.readAllBytes());
                }
                file.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path SHIM_DIR;
}
