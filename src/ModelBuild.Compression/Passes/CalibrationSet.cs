namespace ModelBuild.Compression.Passes;

/// <summary>
/// Preprocessed samples of a data section: <see cref="Count"/> samples of <see cref="SampleShape"/>. The passes and
/// auto mode get the calibration data in it; the accuracy gate gets the validation data.
/// </summary>
public sealed record CalibrationSet(float[] Samples, int Count, int[] SampleShape, byte[]? Labels);
