package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's local demo, run in-process on the emulator: the tenant ends deployed, plugins and all. */
class LocalDemoTest {

    @Test
    void theDemoProvisionsAndDeploysATenantThroughTheExamplePlugins() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8));
        LocalRunner.showLogs(progress, true, true);
        int code = LocalRunner.demo(Path.of("..").toAbsolutePath().normalize(), progress);
        String console = out.toString(StandardCharsets.UTF_8);
        System.out.println(console);
        assertThat(code).isZero();
        assertThat(console).contains("tenant acme: DEPLOYED", "acme / tenant-onboarding  Complete [ok]",
                "· reserve-capacity  Complete", "· premium-support (optional)  Complete", "· welcome-email  Complete",
                "· publish-endpoints (optional)  Complete", "· provision-dns  Complete", "registered plugin welcome-email on Handover/parallel (mandatory)",
                // Plugins in Python and Node.js, run as subprocesses, take part like the Java ones.
                "registered plugin audit-python on Handover/post (mandatory)", "· audit-python  Complete",
                "· notify-node (optional)  Complete");
        // The functions' JSON decision log and metrics, shown readably between the runner's lines.
        assertThat(console).containsPattern("\\d\\d:\\d\\d:\\d\\d INFO  registrar  plugin registered activity=Handover stage=parallel plugin=welcome-email")
                .containsPattern("METRIC \\S+\\s+PluginsRegistered=[1-9]");
    }
}
