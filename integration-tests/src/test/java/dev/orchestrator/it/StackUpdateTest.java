package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.testkit.SamStack;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Redeploying the orchestrator with new layer code while plugin stacks exist: the example plugins
 * take the layer through Parameter Store, so nothing imports the layer export and the update goes
 * through. A plugin importing the export blocks it, as CloudFormation refuses to change an export in use.
 */
class StackUpdateTest {

    static final String NAME = "upd";
    static final Map<String, String> PARAMETERS = Map.of("StackTagName", NAME, "Activities", "Setup,Configure,Handover",
            "DefaultRegisterTimeout", "2");
    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy(NAME, List.of("Setup", "Configure", "Handover"));
        for (String p : List.of("capacity-pair", "premium-support", "welcome-email", "provision-dns")) {
            stack.deployPlugin(p, Map.of());
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    String layerParameter() {
        return stack.emulator.client(SsmClient.builder()).getParameter(b -> b.name(stack.layerParameterName())).parameter().value();
    }

    @Test
    void theOrchestratorUpdatesWithNewLayerCodeWhilePluginStacksExistUnlessOneImportsTheLayerExport() {
        String layerBefore = layerParameter();
        assertThat(stack.stack.importers()).as("the plugins import the topics and the status table")
                .containsKeys(NAME + "-Setup-pre-processing", NAME + "-status-name")
                .doesNotContainKey(NAME + "-layer");

        SamStack updated = stack.stack.update(OrchestratorFixture.TEMPLATE, PARAMETERS);
        String layerAfter = layerParameter();
        assertThat(layerAfter).as("a new layer version was published").isNotEqualTo(layerBefore);
        assertThat(updated.export(NAME + "-layer")).isEqualTo(layerAfter);
        CloudFormationClient cfn = stack.emulator.client(CloudFormationClient.builder());
        assertThat(cfn.describeStacks(b -> b.stackName(NAME)).stacks().get(0).stackStatusAsString()).isEqualTo("UPDATE_COMPLETE");
        // A plugin stack redeployed now resolves the key again and takes the new layer.
        SamStack welcome = SamStack.deploy(stack.emulator, Path.of("..", "plugins-examples", "welcome-email", "template.yaml"),
                NAME + "-welcome-again", Map.of("OrchestratorStackName", NAME, "OrchestratorLayer", stack.layerParameterName(),
                        "Activity", "Setup"));
        assertThat(welcome.functions()).containsKey("WelcomeEmailFunction");

        // The old way: a plugin importing the layer export. CloudFormation refuses the next update.
        SamStack legacy = SamStack.deploy(stack.emulator, Path.of("src", "test", "resources", "legacy-plugin", "template.yaml"),
                NAME + "-legacy", Map.of("OrchestratorStackName", NAME));
        assertThat(updated.importers()).containsEntry(NAME + "-layer", List.of(NAME + "-legacy"));
        assertThatThrownBy(() -> updated.update(OrchestratorFixture.TEMPLATE, PARAMETERS))
                .hasMessageContaining("Cannot update export " + NAME + "-layer as it is in use by [" + NAME + "-legacy]");
        assertThat(layerParameter()).as("the refused update changed nothing").isEqualTo(layerAfter);
        assertThatThrownBy(updated::delete).hasMessageContaining("Cannot delete export").hasMessageContaining("as it is in use by");

        legacy.delete();
        SamStack again = updated.update(OrchestratorFixture.TEMPLATE, PARAMETERS);
        assertThat(layerParameter()).isNotEqualTo(layerAfter).isEqualTo(again.export(NAME + "-layer"));
    }
}
