using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>User code compiled next to the generated predictor: it calls the public API exactly as a consumer would.</summary>
internal static class Harnesses
{
    /// <summary>Every single-input overload; the batched ones only when the model has them.</summary>
    public static string Single(string type, PredictorSpec spec) => ShapeTaking(type) + (IsBatched(spec) ? Batched(type) : "") + "}\n";

    private static bool IsBatched(PredictorSpec spec) =>
        spec.Inputs[0].IsBatchFirst && spec.Outputs[0].IsBatchFirst && spec.Inputs[0].Shape[0] == spec.Outputs[0].Shape[0];

    private static string ShapeTaking(string type) => $$"""
        using System;

        internal static class Harness
        {
            public static object[] Shaped(float[] input, int[] shape)
            {
                var output = new {{type}}().Predict(input, shape, out var outputShape);
                return [output, outputShape];
            }

            public static object[] ShapedSpan(float[] input, int[] shape, int capacity, int rankCapacity)
            {
                var output = new float[capacity];
                var outputShape = new int[rankCapacity];
                var written = new {{type}}().Predict(input, shape, output, outputShape);
                return [output, outputShape, written];
            }

            public static int[] OutputShapeOf(int[] shape) => new {{type}}().GetOutputShape(shape);

            public static int[] Declared() => [.. {{type}}.InputShape, int.MinValue, .. {{type}}.OutputShape];

            public static ModelBuild.Runtime.ModelInfo Info() => {{type}}.ModelInfo;

            // Bytes allocated by 5 span calls after 2 warm-ups (weights decoded, this thread's buffers grown).
            public static long AllocatedBytes(float[] input, int[] shape, int capacity)
            {
                var model = new {{type}}();
                var output = new float[capacity];
                var outputShape = new int[8];
                model.Predict(input, shape, output, outputShape);
                model.Predict(input, shape, output, outputShape);
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 5; i++)
                {
                    model.Predict(input, shape, output, outputShape);
                }

                return GC.GetAllocatedBytesForCurrentThread() - before;
            }

        """;

    private static string Batched(string type) => $$"""
            public static float[] Array(float[] input) => new {{type}}().Predict(input);

            public static float[] Span(float[] input, int outputLength)
            {
                var output = new float[outputLength];
                new {{type}}().Predict(input.AsSpan(), output.AsSpan());
                return output;
            }

            public static float[] SpanBatch(float[] input, int outputLength, int batchSize)
            {
                var output = new float[outputLength];
                new {{type}}().Predict(input, output, batchSize);
                return output;
            }

            public static int[] PerSample() => [{{type}}.InputElementsPerSample, {{type}}.OutputElementsPerSample, {{type}}.HasDynamicBatch ? 1 : 0];

        """;

    public const string Pair = """
        using Tests.Models;

        internal static class Harness
        {
            public static object[] Run(float[] features, int[]? featuresShape, float[] meta, int[]? metaShape)
            {
                var result = new PairModel().Predict(new PairModelInput
                {
                    ImageFeatures = features,
                    ImageFeaturesShape = featuresShape,
                    MetaData = meta,
                    MetaDataShape = metaShape,
                });
                return [result.Logits, result.LogitsShape, result.Class, result.ClassShape];
            }

            public static object[] RunSpans(float[] features, int[] featuresShape, float[] meta, int[] metaShape)
            {
                var logits = new float[featuresShape[0] * 2];
                var logitsShape = new int[2];
                var probabilities = new float[featuresShape[0] * 2];
                var probabilitiesShape = new int[2];
                new PairModel().Predict(features, featuresShape, meta, metaShape, logits, logitsShape, probabilities, probabilitiesShape);
                return [logits, logitsShape, probabilities, probabilitiesShape];
            }

            public static long AllocatedBySpanCalls(float[] features, int[] featuresShape, float[] meta, int[] metaShape)
            {
                var model = new PairModel();
                var logits = new float[featuresShape[0] * 2];
                var probabilities = new float[featuresShape[0] * 2];
                for (var i = 0; i < 2; i++)
                {
                    model.Predict(features, featuresShape, meta, metaShape, logits, default, probabilities, default);
                }

                var before = System.GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 5; i++)
                {
                    model.Predict(features, featuresShape, meta, metaShape, logits, default, probabilities, default);
                }

                return System.GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }
        """;
}
