package dev.orchestrator.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * What {@code sam build} ships, measured from this repository's build: the layer ({@code java/lib/}: the
 * layer's jar and its runtime dependencies, as the {@code java21} build method lays them out) and each
 * function's package ({@code target/classes} plus {@code lib/} with its runtime dependencies; the layer,
 * {@code provided}, stays out). Sizes on disk and zipped (each package deflated into a zip in memory, the
 * bytes counted, nothing written).
 *
 * <p>Needs, per module, {@code target/runtime-classpath.txt} (written by {@code scripts/bench}: {@code mvn
 * dependency:build-classpath -Dmdep.includeScope=runtime}) and the layer's packaged jar in {@code target/}.
 * Uses the JDK alone, so {@code scripts/bench --only size} runs it without building the rest of the bench.
 */
public final class PackageSizes {

    private PackageSizes() {
    }

    /** Lambda's limit on a function and all its layers, unzipped. */
    static final long UNZIPPED_LIMIT = 250L * 1024 * 1024;

    /** The layer's module and the template's functions (logical id and CodeUri), as template.yaml builds them. */
    static final String LAYER = "layer";
    static final List<String[]> FUNCTIONS = List.of(
            new String[] {"EngineFunction", "functions/engine"},
            new String[] {"StartWorkflowFunction", "functions/workflow-start"},
            new String[] {"TenantRouterFunction", "functions/tenant"},
            new String[] {"RegistrarFunction", "functions/registrar"},
            new String[] {"HistoryFunction", "functions/history"},
            new String[] {"example plugin (welcome-email)", "plugins-examples/welcome-email"});

    /** One package: how many jars it holds, its bytes on disk and zipped. */
    record Size(int jars, long bytes, long zipped) {
    }

    public static void main(String[] args) {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        print(root, System.out);
    }

    /** Prints the section of the benchmark report. */
    static void print(Path root, PrintStream out) {
        Size layer = layer(root.resolve(LAYER));
        out.println();
        out.println("## Package sizes (what `sam build` ships)");
        out.println();
        out.println("| package | jars | jars also in the layer | on disk | zipped | with the layer, unzipped (limit 250 MB) |");
        out.println("|---|---:|---:|---:|---:|---:|");
        out.printf(Locale.ROOT, "| layer (java/lib) | %d | - | %s | %s | - |%n", layer.jars(), human(layer.bytes()), human(layer.zipped()));
        Set<String> layerJars = names(runtimeClasspath(root.resolve(LAYER)));
        for (String[] f : FUNCTIONS) {
            Path module = root.resolve(f[1]);
            Size s = function(module);
            Set<String> twice = names(runtimeClasspath(module));
            twice.retainAll(layerJars);
            long withLayer = s.bytes() + layer.bytes();
            out.printf(Locale.ROOT, "| %s (%s) | %d | %d | %s | %s | %s (%.0f%%) |%n", f[0], f[1], s.jars(), twice.size(), human(s.bytes()),
                    human(s.zipped()), human(withLayer), 100.0 * withLayer / UNZIPPED_LIMIT);
        }
        out.println();
        out.println("Layer: the layer's jar and its runtime dependencies. Function: its classes and the runtime dependencies"
                + " that are not in the layer (`provided`). Jars also in the layer: copies a function ships for nothing (the"
                + " layer has them; should be 0). Zipped: deflated as `sam build` zips them (jars are already compressed,"
                + " so little is gained).");
    }

    /** The layer: its packaged jar plus its runtime dependencies, under java/lib/. */
    static Size layer(Path module) {
        List<Path> jars = new ArrayList<>();
        jars.add(ownJar(module));
        jars.addAll(runtimeClasspath(module));
        return measure(List.of(), null, jars, "java/lib/");
    }

    /** A function: target/classes plus lib/ with its runtime dependencies. */
    static Size function(Path module) {
        Path classes = module.resolve("target/classes");
        if (!Files.isDirectory(classes)) {
            throw new IllegalStateException(classes + " is missing: build the module first (scripts/bench --only size does)");
        }
        return measure(files(classes), classes, runtimeClasspath(module), "lib/");
    }

    /** Counts the bytes of the given files and of a zip holding them (loose files relative to base, jars under prefix). */
    static Size measure(List<Path> loose, Path base, List<Path> jars, String prefix) {
        long bytes = 0;
        Counting counter = new Counting();
        try (ZipOutputStream zip = new ZipOutputStream(counter)) {
            for (Path p : loose) {
                bytes += Files.size(p);
                zip.putNextEntry(new ZipEntry(base.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, zip);
                zip.closeEntry();
            }
            for (Path jar : jars) {
                if (!Files.isRegularFile(jar)) {
                    throw new IllegalStateException("jar on the classpath is missing: " + jar);
                }
                bytes += Files.size(jar);
                zip.putNextEntry(new ZipEntry(prefix + jar.getFileName()));
                Files.copy(jar, zip);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Size(jars.size(), bytes, counter.count);
    }

    /** The module's jar in target/ (not sources, javadoc or tests). */
    static Path ownJar(Path module) {
        Path target = module.resolve("target");
        try (Stream<Path> s = Files.isDirectory(target) ? Files.list(target) : Stream.empty()) {
            List<Path> jars = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".jar") && !n.endsWith("-sources.jar") && !n.endsWith("-javadoc.jar") && !n.endsWith("-tests.jar");
            }).sorted().toList();
            if (jars.size() != 1) {
                throw new IllegalStateException("expected one packaged jar in " + target + ", found " + jars
                        + ": run mvn package on " + module.getFileName() + " first (scripts/bench --only size does)");
            }
            return jars.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The module's runtime dependencies, from target/runtime-classpath.txt. */
    static List<Path> runtimeClasspath(Path module) {
        Path file = module.resolve("target/runtime-classpath.txt");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " is missing: run scripts/bench --only size (it writes each module's runtime classpath)");
        }
        List<Path> out = new ArrayList<>();
        try {
            for (String p : Files.readString(file).trim().split(java.io.File.pathSeparator)) {
                if (!p.isBlank()) {
                    out.add(Path.of(p.trim()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static Set<String> names(List<Path> jars) {
        Set<String> out = new TreeSet<>();
        jars.forEach(j -> out.add(j.getFileName().toString()));
        return out;
    }

    static List<Path> files(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 1,234 KB below 10 MB, 12.3 MB above (1 KB = 1,024 bytes). */
    static String human(long bytes) {
        double kb = bytes / 1024.0;
        if (kb < 10 * 1024) {
            return String.format(Locale.ROOT, "%,.0f KB", Math.ceil(kb));
        }
        return String.format(Locale.ROOT, "%.1f MB", kb / 1024.0);
    }

    /** Counts what is written and keeps nothing. */
    static final class Counting extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
