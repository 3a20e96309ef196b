using ModelBuild.Compression.Contracts;
using ModelBuild.Compression.Manifest;
using ModelBuild.Compression.Passes;
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
    private readonly ToleranceSpec _tolerance;
    private readonly IReferenceScorer _reference;

    public CalibrationScorer(string modelPath, CalibrationSet data, ToleranceSpec tolerance, IModelScorer scoring)
    {
        _tolerance = tolerance;
        _reference = scoring.RunReference(modelPath, data);
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
        // Through a file with external data, like the recordings: no 2 GiB limit and no in-memory copy of a large model.
        MetricScores score;
        using (var file = TemporaryOnnxFile.Write(graph, "auto-candidate"))
        {
            score = _reference.ScoreFile(file.Path, "auto candidate", _tolerance.Metric);
        }

        return _tolerance.Key switch
        {
            "maxAccuracyDrop" => score.Reference - score.Candidate,
            "minAgreement" or "minCosine" => 1 - score.Candidate,
            "minSqnrDb" => Math.Pow(10, -score.Candidate / 10),
            _ => score.Candidate,
        };
    }
}
