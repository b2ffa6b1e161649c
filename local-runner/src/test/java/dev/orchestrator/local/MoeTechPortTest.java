package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/protocol.md, "Migrating a moe-tech plugin": a port of the moe-tech orchestrator's plugin wrapper
 * (local-runner/src/test/fixtures/moe-tech-port, its three changed lines marked "changed") runs to Complete
 * with scripts/local run, on a sequential stage (messages addressed to one plugin) and on the parallel stage.
 */
class MoeTechPortTest {

    static final Path PORT = OwnProjectTest.ROOT.resolve("local-runner/src/test/fixtures/moe-tech-port");
    static final List<String> FILES = List.of("app.py", "orchestrator_wrapper.py", "orchestrator_types.py", "orchestrator_status_dal.py");

    @TempDir
    Path project;

    @Test
    void thePortedWrapperWithItsThreeChangedLinesRunsToComplete() throws Exception {
        // The changed lines are there, as the section shows them.
        String wrapper = Files.readString(PORT.resolve("orchestrator_wrapper.py"));
        assertThat(wrapper).contains("if sns_event.get(\"action\") == \"initialize\":  # changed",
                "if message.get(\"plugin\") not in (None, plugin_info[\"pluginName\"]):  # changed");
        assertThat(Files.readString(PORT.resolve("orchestrator_types.py"))).contains("BulkProcessing = \"parallel\"  # changed");

        Path post = project.resolve("post");
        port(post, LocalDeployTest.FILTER.replace("audit-python", "moe-audit"));
        Path parallel = project.resolve("parallel");
        port(parallel, ""); // the parallel stage publishes once for all: no filter on plugin
        // Its own logical id (functions of every stack share one local runtime) and the parallel stage's topic, no filter.
        LocalDeployTest.replace(parallel.resolve("template.yaml"), "AuditFunction", "MoeParallelFunction");
        LocalDeployTest.replace(parallel.resolve("template.yaml"), "-post-processing", "-parallel-processing");
        Files.writeString(project.resolve("start.json"),
                "{\"uid\": \"moe-1\", \"workflow\": \"moe\", \"activities\": [\"Review\"], \"pluginRegisterTimeout\": 1}");
        OwnProjectTest.Result r = OwnProjectTest.run(project, "run", "--activities", "Review",
                "--plugin", "post/template.yaml,Activity=Review", "--plugin", "parallel/template.yaml,Activity=Review",
                "--start", "start.json");
        assertThat(r.output()).contains("registered plugin moe-audit on Review/post (mandatory)",
                "registered plugin moe-audit on Review/parallel (mandatory)",
                "moe-audit: auditing moe-1/Review in the bulk stage", "run moe-1/moe ended Complete");
        assertThat(r.output()).doesNotContain("error:", "audit-python");
        assertThat(r.code()).as(r.output()).isZero();
    }

    /** The Python example's template, renamed moe-audit, with {@code filter}, and the ported wrapper as its code. */
    private static void port(Path dir, String filter) throws Exception {
        LocalDeployTest.copyExample(dir, filter, "");
        LocalDeployTest.replace(dir.resolve("template.yaml"), "orchestrator-plugin: audit-python", "orchestrator-plugin: moe-audit");
        for (String f : FILES) {
            Files.copy(PORT.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
