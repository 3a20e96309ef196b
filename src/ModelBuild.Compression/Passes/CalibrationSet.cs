namespace ModelBuild.Compression.Passes;

/// <summary>Calibration inputs (already preprocessed): <see cref="Count"/> samples of <see cref="SampleShape"/>.</summary>
public sealed record CalibrationSet(float[] Samples, int Count, int[] SampleShape, byte[]? Labels);
