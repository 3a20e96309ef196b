namespace ModelBuild.Runtime.Tests;

/// <summary>
/// <see cref="BlockedWinograd"/> with one tile row per chunk (<see cref="BlockedWinograd.ChunkFloats"/> = 1): a row's
/// partial last strip is stored whole and spills into the next row's first pixels, which a later chunk writes. Output
/// widths with one and two strips, images spaced apart with sentinels between them: the outputs must match the float64
/// reference and the unchunked run bit for bit, and no float between the images may change.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class BlockedWinogradChunkTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 2)]
    [InlineData(2, 4)]
    public void OneTileRowPerChunk_SameBitsAsWhole_GapsUntouched(int level, int tile)
    {
        const int batch = 2, gap = 37;
        const float sentinel = 12345.5f;
        int saved = BlockedWinograd.ChunkFloats;
        try
        {
            foreach (int ow in new[] { 5, 7, 9, 13, 15 })
            {
                var s = new Conv2DShape(24, 18, ow + 2, 20, 16, ow, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1);
                var rng = new Random(ow + tile);
                (WeightMatrix w, double[] wd) = TestData.Matrix(rng, WeightFormat.Float32, s.OC, s.C * 9);
                float[] x = TestData.Floats(rng, batch * s.C * s.H * s.W);
                float[] bias = TestData.Floats(rng, s.OC);
                int per = s.OC * s.OH * s.OW, yImage = per + gap;

                BlockedWinograd.ChunkFloats = saved;
                var unchunked = new float[(batch * yImage) + gap];
                BlockedWinograd.Run((SimdLevel)level, x, w, bias, unchunked, s, batch, Activation.None, tile, yImage);

                BlockedWinograd.ChunkFloats = 1;
                var y = new float[(batch * yImage) + gap];
                Array.Fill(y, sentinel);
                BlockedWinograd.Run((SimdLevel)level, x, w, bias, y, s, batch, Activation.None, tile, yImage);

                double[] expected = Reference.Conv(x, wd, bias, s, batch, relu: false, out double[] magnitude);
                for (int n = 0; n < batch; n++)
                {
                    TestData.AssertClose(expected.AsSpan(n * per, per).ToArray(), y.AsSpan(n * yImage, per), Tolerances.Winograd, 1e-7, magnitude.AsSpan(n * per, per).ToArray());
                    Assert.Equal(unchunked.AsSpan(n * yImage, per).ToArray(), y.AsSpan(n * yImage, per).ToArray());
                    Assert.All(y.AsSpan((n * yImage) + per, gap).ToArray(), v => Assert.Equal(sentinel, v));
                }
            }
        }
        finally
        {
            BlockedWinograd.ChunkFloats = saved;
        }
    }
}
