namespace ModelBuild.Benchmarks;

/// <summary>
/// The generated side of <see cref="ColdStart"/>: a new predictor and its first prediction through the allocating
/// API a first-time user calls (construction loads nothing; the first <c>Predict</c> loads the weights blob).
/// </summary>
internal static class ColdModels
{
    public static string ClassName(string model) => model switch
    {
        "mnist-8" => nameof(Mnist8Model),
        "mnist_mlp_256" => nameof(MnistMlpModel),
        "mnist_cnn_fc128" => nameof(MnistCnnModel),
        "squeezenet_cifar10" => nameof(SqueezeNetModel),
#if REALMODELS
        "ppocr_cls" => nameof(PpOcrClsModel),
        "ppocr_det" => nameof(PpOcrDetModel),
        "ppocr_rec" => nameof(PpOcrRecModel),
        "blazeface_front" => nameof(BlazeFaceModel),
        "wakeword_clf" => nameof(WakeWordModel),
#endif
        _ => throw new ArgumentException("unknown model " + model, nameof(model)),
    };

    /// <summary>Constructs the model's predictor and runs it once; returns the first output value.</summary>
    public static float First(string model, float[] input, int[] shape)
    {
        switch (model)
        {
            case "mnist-8":
                return new Mnist8Model().Predict(input, shape, out _)[0];
            case "mnist_mlp_256":
                return new MnistMlpModel().Predict(input, shape, out _)[0];
            case "mnist_cnn_fc128":
                return new MnistCnnModel().Predict(input, shape, out _)[0];
            case "squeezenet_cifar10":
                return new SqueezeNetModel().Predict(input, shape, out _)[0];
#if REALMODELS
            case "ppocr_cls":
                return new PpOcrClsModel().Predict(input, shape, out _)[0];
            case "ppocr_det":
                return new PpOcrDetModel().Predict(input, shape, out _)[0];
            case "ppocr_rec":
                return new PpOcrRecModel().Predict(input, shape, out _)[0];
            case "wakeword_clf":
                return new WakeWordModel().Predict(input, shape, out _)[0];
            case "blazeface_front":
                // Four outputs: the span overload, with the output shapes the model declares.
                float[] a = new float[512], b = new float[384], c = new float[512 * 16], d = new float[384 * 16];
                new BlazeFaceModel().Predict(input, shape, a, new int[3], b, new int[3], c, new int[3], d, new int[3]);
                return a[0];
#endif
            default:
                throw new ArgumentException("unknown model " + model, nameof(model));
        }
    }
}
