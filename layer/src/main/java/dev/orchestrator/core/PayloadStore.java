package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Supplier;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * The stack's payload bucket (template.yaml, PayloadBucket): large plugin outputs, and stage inputs or run outputs
 * over the engine's budget. Objects are written whole with their SHA-256 recorded in the reference; a read checks
 * it, so a reader gets exactly the bytes the writer meant, or a clear error.
 */
public final class PayloadStore {

    private final Supplier<S3Client> s3;
    private final String bucket;

    /** {@code bucket} may be null: then any write is refused with an error naming {@code PAYLOAD_BUCKET}. */
    public PayloadStore(Supplier<S3Client> s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket == null || bucket.isBlank() ? null : bucket;
    }

    /** A referenced payload that is gone or altered: retrying cannot help, so the plugin ends Error. */
    public static final class Gone extends IllegalStateException {
        public Gone(String message) {
            super(message);
        }
    }

    public String bucket() {
        return bucket;
    }

    /** Writes a JSON document and returns its reference. */
    public Outputs.Ref put(String key, JsonNode document) {
        if (bucket == null) {
            throw new IllegalStateException("this output needs the payload bucket, but " + EnvNames.PAYLOAD_BUCKET
                    + " is not set (import <Stack>-payload-bucket into the function's environment)");
        }
        byte[] bytes = Outputs.utf8(document);
        String sha = Outputs.sha256(bytes);
        s3.get().putObject(b -> b.bucket(bucket).key(key).contentType("application/json")
                .serverSideEncryption(ServerSideEncryption.AES256), RequestBody.fromBytes(bytes));
        return new Outputs.Ref(bucket, key, sha, bytes.length);
    }

    /** Reads a referenced document, verifying its size and SHA-256; {@code what} names it in errors. */
    public JsonNode get(Outputs.Ref ref, String what) {
        byte[] bytes;
        try {
            bytes = s3.get().getObjectAsBytes(b -> b.bucket(ref.bucket()).key(ref.key())).asByteArray();
        } catch (NoSuchKeyException | NoSuchBucketException gone) {
            throw new Gone(what + ": its payload object s3://" + ref.bucket() + "/" + ref.key()
                    + " is gone (expired with the run's retention, or deleted)");
        }
        String sha = Outputs.sha256(bytes);
        if (bytes.length != ref.size() || !sha.equals(ref.sha256())) {
            throw new Gone(what + ": its payload object s3://" + ref.bucket() + "/" + ref.key()
                    + " does not match its reference (sha256 " + sha + ", " + bytes.length + " bytes; expected "
                    + ref.sha256() + ", " + ref.size() + " bytes)");
        }
        return Json.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The value of a wire output ({@code {"output":...}} or {@code {"outputRef":...}}). */
    public JsonNode resolve(JsonNode wire, String what) {
        if (wire.has(Outputs.OUTPUT)) {
            return wire.get(Outputs.OUTPUT);
        }
        if (wire.has(Outputs.OUTPUT_REF)) {
            return get(Outputs.Ref.fromJson(wire.get(Outputs.OUTPUT_REF), what), what);
        }
        throw new IllegalArgumentException(what + " has neither 'output' nor 'outputRef'"
                + (wire.has("invalid") ? ": " + wire.get("invalid").asText() : ""));
    }
}
