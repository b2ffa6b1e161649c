package dev.orchestrator.bench;

import dev.orchestrator.testkit.FunctionSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Cold start of each function: a fresh JVM per sample, the function's own classpath (its classes,
 * its dependencies and the layer, as Lambda assembles them), its deployed environment (so the JVM
 * options template.yaml sets through JAVA_TOOL_OPTIONS apply), one representative event, timed from
 * process start to the handler's return. Reported as a ratio to {@link HelloDynamo} run the same way
 * with the same JVM options. Samples are interleaved so machine load hits every function alike.
 */
final class ColdStart {

    /** A function to cold-start: where its classes are, its environment, its memory size (MB), and an event per sample. */
    record Target(String name, List<Path> classpath, String handler, Map<String, String> env, int memoryMb,
                  IntFunction<String> event) {

        String jvmOptions() {
            return env.getOrDefault("JAVA_TOOL_OPTIONS", "");
        }

        /** Functions with the same options and memory share a baseline: like is compared with like. */
        String launchKey() {
            return jvmOptions() + "|" + memoryMb;
        }
    }

    record Result(String name, String jvmOptions, int memoryMb, long min, long median, long overBaselineMedian,
                  double ratioMin, double ratioMedian) {
    }

    /**
     * A JVM as Lambda's Java runtime starts one: the flags its launch line puts before the handler's class (the
     * serial collector; heap, metaspace and code cache capped at about 85 %, 10 % and 5 % of the function's memory),
     * and the function's memory as all the memory the JVM sees ({@code MaxRAM}: in its sandbox the JVM sizes its
     * initial heap from that, not from this machine's RAM). JAVA_TOOL_OPTIONS come on top, as on Lambda. Without
     * this the JVM picks its collector and heap from the build machine, and a cold start collects differently.
     */
    static List<String> lambdaLaunchFlags(int memoryMb) {
        long kb = memoryMb * 1024L;
        return List.of("-XX:MaxRAM=" + memoryMb + "m", "-XX:MaxHeapSize=" + kb * 85 / 100 + "k",
                "-XX:MaxMetaspaceSize=" + kb / 10 + "k", "-XX:ReservedCodeCacheSize=" + kb / 20 + "k", "-XX:+UseSerialGC");
    }

    private ColdStart() {
    }

    /** Classpath of a module as scripts/bench wrote it: target/classes plus target/bench-classpath.txt (compile + provided). */
    static List<Path> moduleClasspath(Path root, String module) {
        Path file = root.resolve(module).resolve("target/bench-classpath.txt");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " is missing: run scripts/bench (it writes each module's classpath first)");
        }
        List<Path> cp = new ArrayList<>();
        cp.add(root.resolve(module).resolve("target/classes"));
        try {
            for (String p : Files.readString(file).trim().split(java.io.File.pathSeparator)) {
                if (!p.isBlank()) {
                    cp.add(Path.of(p));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cp;
    }

    /** The environment Lambda would give the function, pointed at the emulator. */
    static Map<String, String> lambdaEnv(FunctionSpec f, Map<String, String> clientEnv, boolean jvmOptions) {
        Map<String, String> env = new LinkedHashMap<>(f.environment());
        env.put("AWS_LAMBDA_FUNCTION_NAME", f.functionName());
        env.putAll(clientEnv);
        env.put("AWS_EMF_ENVIRONMENT", "Local");
        if (!jvmOptions) {
            env.remove("JAVA_TOOL_OPTIONS");
        }
        return env;
    }

    static List<Result> measure(List<Target> allTargets, Target baselineTemplate, Path bench, int samples) {
        // Diagnostics only: BENCH_COLD_ONLY, a regular expression, keeps the functions whose name it finds.
        String only = System.getenv("BENCH_COLD_ONLY");
        List<Target> targets = only == null ? allTargets
                : allTargets.stream().filter(t -> java.util.regex.Pattern.compile(only).matcher(t.name()).find()).toList();
        // One baseline per distinct JVM options and memory size, so each function is compared with like.
        Map<String, Target> baselines = new LinkedHashMap<>();
        for (Target t : targets) {
            baselines.computeIfAbsent(t.launchKey(), k -> {
                Map<String, String> env = new LinkedHashMap<>(baselineTemplate.env());
                String o = t.jvmOptions();
                if (o.isEmpty()) {
                    env.remove("JAVA_TOOL_OPTIONS");
                } else {
                    env.put("JAVA_TOOL_OPTIONS", o);
                }
                return new Target("hello-world baseline (" + t.memoryMb() + " MB" + (o.isEmpty() ? "" : ", " + o) + ")",
                        baselineTemplate.classpath(), baselineTemplate.handler(), env, t.memoryMb(), baselineTemplate.event());
            });
        }
        List<Target> all = new ArrayList<>(baselines.values());
        all.addAll(targets);
        Map<String, List<Long>> times = new TreeMap<>();
        for (int i = 0; i < samples; i++) {
            for (Target t : all) {
                long ms = once(t, bench, i);
                times.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(ms);
                SAMPLES.computeIfAbsent(t.name(), k -> new ArrayList<>()).add(ms);
                System.err.printf("  cold %-40s sample %d: %d ms%n", t.name(), i + 1, ms);
            }
        }
        List<Result> out = new ArrayList<>();
        for (Target t : all) {
            Target base = baselines.get(t.launchKey());
            List<Long> mine = sorted(times.get(t.name()));
            List<Long> theirs = sorted(times.get(base.name()));
            out.add(new Result(t.name(), t.jvmOptions().isEmpty() ? "(none)" : t.jvmOptions(), t.memoryMb(), mine.get(0), median(mine),
                    median(mine) - median(theirs), mine.get(0) / (double) theirs.get(0), median(mine) / (double) median(theirs)));
        }
        return out;
    }

    /** Per target, each sample's handler time (its class loaded to its return, inside the JVM), in microseconds. */
    static final Map<String, List<Long>> HANDLER_MICROS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Per target, each sample's process time in ms, in sample order (pairs samples of two targets run back to back). */
    static final Map<String, List<Long>> SAMPLES = new java.util.concurrent.ConcurrentHashMap<>();

    /** One fresh JVM: process start to the handler's return marker, in ms. */
    static long once(Target t, Path bench, int sample) {
        try {
            Path event = Files.createTempFile("cold-event-", ".json");
            Files.writeString(event, t.event().apply(sample));
            Path log = Files.createTempFile("cold-", ".log");
            List<String> cp = new ArrayList<>();
            cp.add(bench.toString());
            t.classpath().forEach(p -> cp.add(p.toString()));
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(lambdaLaunchFlags(t.memoryMb()));
            // Diagnostics only (e.g. -Xlog:class+load:file=...): extra JVM arguments for every sample.
            String extra = System.getenv().getOrDefault("BENCH_COLD_JAVA_ARGS", "").trim();
            if (!extra.isEmpty()) {
                cmd.addAll(List.of(extra.replace("{name}", t.name().replaceAll("[^A-Za-z0-9]+", "_"))
                        .replace("{sample}", Integer.toString(sample)).split("\\s+")));
            }
            cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, cp), ColdChild.class.getName(), t.handler(), event.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().clear();
            pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            pb.environment().putAll(t.env());
            System.getenv().forEach((k, v) -> { // diagnostics switches reach the child (see ColdChild)
                if (k.startsWith("BENCH_COLD_")) {
                    pb.environment().put(k, v);
                }
            });
            pb.redirectError(log.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            String marker = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("COLD-DONE") || line.startsWith("COLD-FAIL")) {
                        marker = line;
                        break;
                    }
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            if (marker != null && marker.startsWith("COLD-DONE")) {
                String[] parts = marker.split(" ");
                if (parts.length >= 3) {
                    HANDLER_MICROS.computeIfAbsent(t.name(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                            .add(Long.parseLong(parts[2]));
                }
            }
            if (marker == null || marker.startsWith("COLD-FAIL")) {
                String err = Files.readString(log);
                throw new IllegalStateException(t.name() + " failed its cold start: " + marker + "\n"
                        + (err.length() > 3000 ? err.substring(err.length() - 3000) : err));
            }
            String keep = System.getenv("BENCH_COLD_LOG_DIR"); // diagnostics: keep each child's stderr
            if (keep != null) {
                Files.createDirectories(Path.of(keep));
                Files.copy(log, Path.of(keep, t.name().replaceAll("[^A-Za-z0-9]+", "_") + "-" + sample + ".log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Files.deleteIfExists(event);
            Files.deleteIfExists(log);
            return ms;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static List<Long> sorted(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        s.sort(Long::compare);
        return s;
    }

    static long median(List<Long> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

}
