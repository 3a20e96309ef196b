using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
using ModelBuild.Evaluation;
using ModelBuild.Graph;
using ModelBuild.Graph.Onnx;

namespace ModelBuild.Compression.Auto;

/// <summary>
/// Measures how much a candidate graph loses against the original model on the calibration data, in the units of
/// the tolerance (accuracy points, agreement/cosine deficit, noise power fraction, abs diff), so losses of
/// different layers can be added up and compared with the allowance.
/// </summary>
internal sealed class CalibrationScorer
{
    private readonly CalibrationSet _data;
    private readonly ToleranceSpec _tolerance;
    private readonly float[] _reference;
    private readonly double _referenceTop1;
    private readonly int _classes;

    public CalibrationScorer(string modelPath, CalibrationSet data, ToleranceSpec tolerance)
    {
        _data = data;
        _tolerance = tolerance;
        using var original = OnnxRuntimeSession.FromFile(modelPath);
        _reference = original.RunAll(data.Samples, data.Count);
        _classes = _reference.Length / data.Count;
        _referenceTop1 = data.Labels is null ? 0 : Metrics.Top1Accuracy(_reference, _classes, data.Labels);
    }

    /// <summary>How much of the tolerance the model may use up: the bound expressed as a loss.</summary>
    public double Allowance => _tolerance.Key switch
    {
        "maxAccuracyDrop" or "maxAbsDiff" => _tolerance.Value,
        "minSqnrDb" => Math.Pow(10, -_tolerance.Value / 10),
        _ => 1 - _tolerance.Value,
    };

    public int Evaluations { get; private set; }

    public double Loss(ModelGraph graph)
    {
        Evaluations++;
        using var session = OnnxRuntimeSession.FromBytes(OnnxExporter.ToBytes(graph), "auto candidate");
        var outputs = session.RunAll(_data.Samples, _data.Count);
        return _tolerance.Key switch
        {
            "maxAccuracyDrop" => _referenceTop1 - Metrics.Top1Accuracy(outputs, _classes, _data.Labels!),
            "minAgreement" => 1 - Metrics.Agreement(_reference, outputs, _classes),
            "minSqnrDb" => Math.Pow(10, -Metrics.Sqnr(_reference, outputs) / 10),
            "minCosine" => 1 - Metrics.MeanCosine(_reference, outputs, _classes),
            _ => Metrics.MaxAbsDiff(_reference, outputs),
        };
    }
}
