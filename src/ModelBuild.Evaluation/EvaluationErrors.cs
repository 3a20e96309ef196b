namespace ModelBuild.Evaluation;

/// <summary>The <c>MB4xxx</c> codes this library raises (README.md "Error codes" is the master list).</summary>
public static class EvaluationErrors
{
    /// <summary>ONNX Runtime refused the model.</summary>
    public const string RuntimeRefused = "MB4001";

    /// <summary>A data file is malformed (bad magic, dimensions, length or encoding).</summary>
    public const string BadDataFile = "MB4002";

    /// <summary>A data file does not exist.</summary>
    public const string DataFileMissing = "MB4003";

    /// <summary>A dataset spec is malformed.</summary>
    public const string BadDatasetSpec = "MB4004";

    /// <summary>An I/O error other than a missing file.</summary>
    public const string IoError = "MB0006";

    /// <summary>The ONNX file does not exist.</summary>
    public const string ModelMissing = "MB1001";
}
