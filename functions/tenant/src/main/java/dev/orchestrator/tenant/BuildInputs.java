package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.request.StartRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * What a tenant's onboarding run receives from its provisioning build, decided without I/O: the build's exported
 * variables as the run's start inputs, at {@code inputs["Provisioning"]["codebuild"]} in every stage message
 * ({@code ctx.input("Provisioning", "codebuild")}):
 * <pre>{"buildId": "tenant-premium-provision:1f2e", "variables": {"DB_HOST": "db.acme.internal",
 *  "DB_PASSWORD": {"parameterStore": "/dev/orchestrator/stack/tenants/acme/DB_PASSWORD"}}, "redacted": ["SESSION_TOKEN"]}</pre>
 * Secrets stay references, as everywhere in the tenant flow: an exported variable with a secret-looking name (or a
 * private key as value) never travels by value. When the build was given that name as a reference (the tier's
 * {@code parameterStore} / {@code secretsManager}, or the SecureString the router stored), the input carries that
 * reference; otherwise the name is listed in {@code redacted}, as in the outcome events.
 */
public final class BuildInputs {

    /** The address: {@code inputs[SOURCE][NAME]} (a start request refuses a source that is an activity of its run). */
    public static final String SOURCE = "Provisioning";
    public static final String NAME = "codebuild";

    private BuildInputs() {
    }

    /** A variable the build was given as a reference: its CodeBuild type and the parameter or secret it names. */
    public record Reference(String type, String name) {
    }

    /**
     * The start inputs for the run, or why there are none ({@code skipped}): a tenant workflow with an activity named
     * {@value #SOURCE} would own that address, so its run starts without them (and says so in a log line).
     */
    public record Decision(ObjectNode inputs, int variables, int references, List<String> redacted, int bytes, String skipped) {
    }

    /**
     * @param buildId    the provisioning build (null when the deployment event does not name one, as arc-saas's own)
     * @param safe       exported variables that are not secrets (the outcome events' flat outputs)
     * @param secretLike exported variable names that look secret (never their values)
     * @param given      variables the build was given as references, by name
     * @param activities the onboarding run's activities
     * @throws InvalidTenantEventException when the inputs would exceed a run's start-input limit, naming it
     */
    public static Decision decide(String buildId, Map<String, String> safe, List<String> secretLike, Map<String, Reference> given,
                                  List<String> activities) {
        if (activities.contains(SOURCE)) {
            return new Decision(null, 0, 0, List.of(), 0, "the tenant workflow has an activity named " + SOURCE
                    + ", whose outputs use the address inputs." + SOURCE + "; rename it to receive the build's variables");
        }
        ObjectNode build = Json.object();
        if (buildId != null) {
            build.put("buildId", buildId);
        }
        ObjectNode variables = build.putObject("variables");
        safe.forEach(variables::put);
        int references = 0;
        List<String> redacted = new java.util.ArrayList<>();
        for (String name : secretLike.stream().sorted().toList()) {
            Reference r = given.get(name);
            if (r != null && (r.type().equals("PARAMETER_STORE") || r.type().equals("SECRETS_MANAGER"))) {
                variables.putObject(name).put(r.type().equals("PARAMETER_STORE") ? "parameterStore" : "secretsManager", r.name());
                references++;
            } else {
                redacted.add(name);
            }
        }
        if (!redacted.isEmpty()) {
            ArrayNode list = build.putArray("redacted");
            redacted.forEach(list::add);
        }
        ObjectNode inputs = Json.object();
        inputs.putObject(SOURCE).set(NAME, build);
        int bytes = Json.write(inputs).getBytes(StandardCharsets.UTF_8).length;
        if (bytes > StartRequest.MAX_INPUTS_BYTES) {
            throw new InvalidTenantEventException("the build's exported variables make inputs." + SOURCE + "." + NAME + " "
                    + bytes + " bytes of JSON; a run's start inputs may be at most " + StartRequest.MAX_INPUTS_BYTES
                    + " (export a key to large data, e.g. an S3 object, instead of the data)");
        }
        return new Decision(inputs, safe.size(), references, List.copyOf(redacted), bytes, null);
    }
}
