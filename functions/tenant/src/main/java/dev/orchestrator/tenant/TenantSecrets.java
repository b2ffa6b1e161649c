package dev.orchestrator.tenant;

import java.util.function.Supplier;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterTier;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * Stores a tenant build's plain secrets as SSM SecureStrings (the account's aws/ssm key), so the
 * build reads them as PARAMETER_STORE references and they never appear as PLAINTEXT in CodeBuild.
 * Overwrites: a re-provisioning with a new value replaces the old one.
 */
public final class TenantSecrets {

    private final Supplier<SsmClient> ssm;

    public TenantSecrets(SsmClient ssm) {
        this.ssm = () -> ssm;
    }

    /** The client is asked for on the first secret stored: most events store none (cold start). */
    public TenantSecrets(Supplier<SsmClient> ssm) {
        this.ssm = ssm;
    }

    public void store(BuildEnvironment.Secret secret) {
        String value = secret.value();
        ssm.get().putParameter(b -> b.name(secret.parameter()).value(value).type(ParameterType.SECURE_STRING).overwrite(true)
                .tier(value.length() > 4096 ? ParameterTier.ADVANCED : ParameterTier.STANDARD)
                .description("tenant build variable " + secret.name() + " (stored by the tenant router)"));
    }
}
