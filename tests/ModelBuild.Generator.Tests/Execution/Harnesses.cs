namespace ModelBuild.Generator.Tests.Execution;

/// <summary>User code compiled next to the generated predictor: it calls the public API exactly as a consumer would.</summary>
internal static class Harnesses
{
    public static string Single(string type) => $$"""
        using System;

        internal static class Harness
        {
            public static float[] ArrayPath(float[] input) => new {{type}}().Predict(input);

            public static float[] SpanPath(float[] input, int batch)
            {
                var output = new float[batch * {{type}}.OutputElementsPerSample];
                new {{type}}().Predict(input, output, batch);
                return output;
            }

            public static float[] InferredPath(float[] input)
            {
                var output = new float[input.Length / {{type}}.InputElementsPerSample * {{type}}.OutputElementsPerSample];
                new {{type}}().Predict(input.AsSpan(), output.AsSpan());
                return output;
            }

            public static float[] WrongOutput(float[] input, int batch)
            {
                var output = new float[(batch * {{type}}.OutputElementsPerSample) + 1];
                new {{type}}().Predict(input, output, batch);
                return output;
            }

            public static long AllocatedBytes(float[] input, int batch)
            {
                var model = new {{type}}();
                var output = new float[batch * {{type}}.OutputElementsPerSample];
                model.Predict(input, output, batch); // first call: weights decode, the thread's arena is rented
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 20; i++)
                {
                    model.Predict(input, output, batch);
                }

                return GC.GetAllocatedBytesForCurrentThread() - before;
            }

            public static int[] Shapes() => [{{type}}.InputElementsPerSample, {{type}}.OutputElementsPerSample, .. {{type}}.InputShape, int.MinValue, .. {{type}}.OutputShape];

            public static bool Dynamic() => {{type}}.HasDynamicBatch;

            public static ModelBuild.Runtime.ModelInfo Info() => {{type}}.ModelInfo;
        }
        """;

    public const string Pair = """
        using Tests.Models;

        internal static class Harness
        {
            public static float[][] Run(float[] features, float[] meta)
            {
                var result = new PairModel().Predict(new PairModelInput { ImageFeatures = features, MetaData = meta });
                return [result.Logits, result.Class];
            }

            public static int[] Sizes() =>
                [PairModelInput.ImageFeaturesElementsPerSample, PairModelInput.MetaDataElementsPerSample, .. PairModelOutput.ClassShape];
        }
        """;
}
