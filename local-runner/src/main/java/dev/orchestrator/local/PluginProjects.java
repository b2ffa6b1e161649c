package dev.orchestrator.local;

import dev.orchestrator.testkit.FunctionSpec;
import dev.orchestrator.testkit.SamStack;
import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Gets a user's plugin project ready to run here, from its own folder: Java handlers load from its
 * build output ({@code target/classes} plus the runtime dependencies its pom resolves) in a class
 * loader of their own; Node handlers get their {@code node_modules} from the lockfile; Python handlers
 * use a {@code .venv} in the code folder if there is one, else {@code python3}.
 */
final class PluginProjects {

    private final Path root;
    private final Progress progress;

    /** @param root this repository: its {@code .mvn/maven.config} (e.g. the Maven repository holding the layer) applies to plugin builds too */
    PluginProjects(Path root, Progress progress) {
        this.root = root;
        this.progress = progress;
    }

    /** The class loader for the stack's Java handlers (this process's own when they are on its classpath). */
    ClassLoader prepare(SamStack stack) {
        Set<Path> javaDirs = new LinkedHashSet<>();
        for (FunctionSpec f : stack.functions().values()) {
            String runtime = f.runtime() == null ? "java" : f.runtime();
            if (runtime.startsWith("nodejs")) {
                npm(f.codeDir());
            } else if (runtime.startsWith("python") && f.codeDir() != null
                    && Files.isRegularFile(f.codeDir().resolve("requirements.txt"))
                    && !Files.isExecutable(f.codeDir().resolve(".venv/bin/python"))) {
                // Not installed for the user (pip may need the network): say which interpreter runs it and how to give it its own.
                progress.step(f.logicalId() + ": " + f.codeDir() + " has requirements.txt but no .venv, so python3 on PATH runs"
                        + " it; if an import fails: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt (in " + f.codeDir() + ")");
            } else if (runtime.startsWith("java") && !loadable(f.handler()) && f.codeDir() != null) {
                javaDirs.add(f.codeDir());
            }
        }
        if (javaDirs.isEmpty()) {
            return PluginProjects.class.getClassLoader();
        }
        List<URL> urls = new ArrayList<>();
        for (Path dir : javaDirs) {
            urls.addAll(maven(dir));
        }
        // Parent first: the layer and the Lambda interfaces come from this process, as the layer does on Lambda.
        return new URLClassLoader("plugin-" + stack.name(), urls.toArray(URL[]::new), PluginProjects.class.getClassLoader());
    }

    private static boolean loadable(String handler) {
        try {
            Class.forName(handler.split("::")[0], false, PluginProjects.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Compiles the project and lists its runtime classpath (provided scope, i.e. the layer, stays out). */
    private List<URL> maven(Path dir) {
        if (!Files.isRegularFile(dir.resolve("pom.xml"))) {
            throw new IllegalArgumentException(dir + " holds a Java handler but no pom.xml: build output cannot be found");
        }
        Path cp = dir.resolve("target/local-classpath.txt");
        List<String> cmd = new ArrayList<>(List.of("mvn", "-q", "-B", "compile", "dependency:build-classpath",
                "-Dmdep.outputFile=" + cp, "-Dmdep.includeScope=runtime"));
        cmd.addAll(mavenConfig());
        progress.step("building Java plugin project " + dir + " (mvn compile dependency:build-classpath)");
        run(cmd, dir, 600);
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(dir.resolve("target/classes").toUri().toURL());
            for (String entry : Files.readString(cp).trim().split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    urls.add(Path.of(entry).toUri().toURL());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("reading " + cp + ": " + e.getMessage(), e);
        }
        return urls;
    }

    private List<String> mavenConfig() {
        Path config = root.resolve(".mvn/maven.config");
        try {
            return Files.isRegularFile(config) ? List.of(Files.readString(config).trim().split("\\s+")) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private void npm(Path dir) {
        if (dir == null || !Files.isRegularFile(dir.resolve("package.json")) || Files.isDirectory(dir.resolve("node_modules"))) {
            return;
        }
        boolean locked = Files.isRegularFile(dir.resolve("package-lock.json"));
        progress.step("installing Node dependencies in " + dir + (locked ? " (npm ci)" : " (npm install)"));
        run(locked ? List.of("npm", "ci", "--no-audit", "--no-fund") : List.of("npm", "install", "--no-audit", "--no-fund"), dir, 600);
    }

    private static void run(List<String> cmd, Path dir, int seconds) {
        try {
            Path log = Files.createTempFile("plugin-build", ".log");
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " in " + dir + " did not finish in " + seconds + " s");
            }
            String out = Files.readString(log);
            Files.deleteIfExists(log);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " in " + dir + " failed (exit " + p.exitValue() + "):\n" + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + " in " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
