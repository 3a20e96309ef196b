using ModelBuild.Runtime.Formats;

namespace ModelBuild.Runtime.Tests.Formats;

/// <summary>
/// The int8-grid test for palettes (<see cref="PaletteGrid"/>): exact k·s entries on the narrow (max/63) or the wide
/// (max/127) grid pass, anything else does not.
/// </summary>
public sealed class PaletteGridTests
{
    [Fact]
    public void Entries_that_are_integer_steps_of_max_over_63_fit_the_narrow_grid_first()
    {
        const float S = 5f / 1024;
        int[] ks = [-63, -40, -1, 0, 2, 5, 62, 63];
        float[] table = [.. ks.Select(k => k * S)];
        var steps = new sbyte[table.Length];

        Assert.True(PaletteGrid.TryFit(table, steps, out float scale));
        Assert.Equal(S, scale);
        Assert.Equal(ks, steps.Select(k => (int)k));
    }

    [Fact]
    public void Entries_that_are_integer_steps_of_max_over_127_fit_with_those_steps()
    {
        const float S = 3f / 1024;
        int[] ks = [-127, -40, -1, 0, 2, 5, 64, 127];
        float[] table = [.. ks.Select(k => k * S)];
        var steps = new sbyte[table.Length];

        Assert.True(PaletteGrid.TryFit(table, steps, out float scale));
        Assert.Equal(S, scale);
        Assert.Equal(ks, steps.Select(k => (int)k));
    }

    [Theory]
    [InlineData(0.5f)] // half a step
    [InlineData(1e-3f)] // a little off
    public void An_entry_off_the_grid_fails(float offset)
    {
        const float S = 1f / 256;
        float[] table = [-127 * S, 3 * S, (10 + offset) * S, 127 * S];

        Assert.False(PaletteGrid.TryFit(table, new sbyte[4], out _));
    }

    [Fact]
    public void Negative_zero_is_step_zero_and_non_finite_or_all_zero_tables_fail()
    {
        Assert.True(PaletteGrid.TryFit([-0f, 63f], new sbyte[2], out float scale));
        Assert.Equal(1f, scale);
        Assert.False(PaletteGrid.TryFit([0f, 0f], new sbyte[2], out _));
        Assert.False(PaletteGrid.TryFit([1f, float.NaN], new sbyte[2], out _));
        Assert.False(PaletteGrid.TryFit([1f, float.PositiveInfinity], new sbyte[2], out _));
    }
}
