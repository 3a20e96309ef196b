using ModelBuild.Evaluation.Data;

namespace ModelBuild.Evaluation.Tests;

/// <summary>The t10k test set, read once for all tests in the collection.</summary>
public sealed class MnistFixture
{
    public MnistFixture()
    {
        Images = IdxReader.ReadImages(TestPaths.Mnist("t10k-images-idx3-ubyte.gz"));
        Labels = IdxReader.ReadLabels(TestPaths.Mnist("t10k-labels-idx1-ubyte.gz"));
    }

    public IdxImages Images { get; }

    public byte[] Labels { get; }

    /// <summary>The first <paramref name="count"/> images scaled with <paramref name="spec"/>, NCHW.</summary>
    public float[] Samples(PreprocessingSpec spec, int count = 10_000)
    {
        int size = Images.Rows * Images.Cols;
        var samples = new float[count * size];
        for (int i = 0; i < count; i++)
        {
            spec.Apply(Images.Pixels.AsSpan(i * size, size), 1, Images.Rows, Images.Cols, samples.AsSpan(i * size, size));
        }

        return samples;
    }
}

[CollectionDefinition("mnist")]
public sealed class MnistCollection : ICollectionFixture<MnistFixture>;
