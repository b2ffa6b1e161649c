package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/local checks its runtimes before anything else: without Node.js, or with one older than
 * 20, it names what is missing and exits 2 at once, instead of a stack trace and a hung plugin
 * minutes later. The PATH given to it is the test's own with node hidden (every other tool stays)
 * and a stand-in mvn first, so a check that let the script go on could never start a build.
 */
class LocalPrerequisitesTest {

    static final Path ROOT = OwnProjectTest.ROOT;

    /** The test's PATH with every `node` hidden: a directory holding one is replaced by links to its other entries. */
    static String pathWithoutNode(Path scratch) throws IOException {
        List<String> dirs = new ArrayList<>();
        int n = 0;
        for (String d : System.getenv("PATH").split(File.pathSeparator)) {
            Path dir = Path.of(d);
            if (!Files.isExecutable(dir.resolve("node"))) {
                dirs.add(d);
                continue;
            }
            Path copy = Files.createDirectories(scratch.resolve("path-" + n++));
            try (var entries = Files.list(dir)) {
                for (Path e : entries.toList()) {
                    if (!e.getFileName().toString().equals("node")) {
                        Files.createSymbolicLink(copy.resolve(e.getFileName()), e);
                    }
                }
            }
            dirs.add(copy.toString());
        }
        return String.join(File.pathSeparator, dirs);
    }

    static Path script(Path dir, String name, String body) throws IOException {
        Files.createDirectories(dir);
        Path f = dir.resolve(name);
        Files.writeString(f, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return f;
    }

    static OwnProjectTest.Result local(String path) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("scripts/local").toString())
                .directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", path);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("scripts/local ends").isTrue();
        return new OwnProjectTest.Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void withoutNodeItNamesNodeAndExitsBeforeBuilding(@TempDir Path scratch) throws Exception {
        Path first = scratch.resolve("first");
        script(first, "mvn", "echo 'mvn was called' ; exit 99");
        String path = first + File.pathSeparator + pathWithoutNode(scratch);
        ProcessBuilder probe = new ProcessBuilder("bash", "-c", "command -v node || echo none").redirectErrorStream(true);
        probe.environment().put("PATH", path);
        Process p = probe.start();
        assertThat(new String(p.getInputStream().readAllBytes()).strip()).as("node is hidden from the script").isEqualTo("none");
        p.waitFor();

        OwnProjectTest.Result r = local(path);
        assertThat(r.code()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).contains("scripts/local cannot start; missing:")
                .contains("node: Node.js 20 or newer, for the demo's Node plugin")
                .doesNotContain("mvn was called").doesNotContain("Exception");
    }

    @Test
    void anOldNodeIsNamedWithTheVersionFound(@TempDir Path scratch) throws Exception {
        Path first = scratch.resolve("first");
        script(first, "mvn", "echo 'mvn was called' ; exit 99");
        script(first, "node", "case \"$1\" in -p) echo 18 ;; *) echo v18.20.4 ;; esac");
        OwnProjectTest.Result r = local(first + File.pathSeparator + System.getenv("PATH"));
        assertThat(r.code()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).contains("node: Node.js 20 or newer (found v18.20.4)").doesNotContain("mvn was called");
    }
}
