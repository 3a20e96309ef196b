using ModelBuild.Compression.Planning;
using ModelBuild.Runtime;

namespace ModelBuild.Compression.Validation;

/// <summary>
/// Loads the blob with the runtime the predictor will use and checks every entry decodes to what the compression
/// passes meant (the reference decoder). A mismatch is a ModelBuild bug, reported rather than shipped.
/// </summary>
internal static class BlobVerifier
{
    public static void Check(byte[] blob, WeightTable weights, string modelPath) => Check(WeightBlob.Load(blob), weights, modelPath);

    /// <summary>
    /// Checks <paramref name="loaded"/> entry by entry. Each entry is decoded into a fresh array that is dropped after
    /// its comparison (not <see cref="WeightBlob.Floats"/>, which caches): a multi-gigabyte model's blob must not
    /// become a float32 copy of the whole model here (issue 12).
    /// </summary>
    public static void Check(WeightBlob loaded, WeightTable weights, string modelPath)
    {
        for (var i = 0; i < weights.Entries.Count; i++)
        {
            var entry = weights.Entries[i];
            var expected = entry.Stored?.Decode() ?? entry.Floats!;
            var actual = loaded.Matrix(i).ToFloatArray();
            if (actual.Length != expected.Length)
            {
                throw Mismatch(modelPath, entry.Name, $"{actual.Length} values instead of {expected.Length}");
            }

            for (var j = 0; j < expected.Length; j++)
            {
                // Decoders may fuse scale·code differently (FMA); allow a few ulps, never a different value.
                if (Math.Abs(actual[j] - expected[j]) > 1e-6f * Math.Max(1f, Math.Abs(expected[j])))
                {
                    throw Mismatch(modelPath, entry.Name, $"value {j} is {actual[j]} instead of {expected[j]}");
                }
            }

            Pipeline.LargeModelMemory.AfterLayer(expected.LongLength);
        }
    }

    private static ModelBuildException Mismatch(string modelPath, string name, string detail) =>
        new("MB5003", modelPath, $"internal error: the runtime decodes weight '{name}' differently from the compressor ({detail}). Please report this.");
}
