using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Graph inputs read in place from the caller's memory (<see cref="ModelProgram.ReadsInPlace"/>,
/// <see cref="Predictors.Run{T}"/>): allowed only when nothing writes the input's slot and no output lives there, and
/// then the results are the bits the copying path gives.
/// </summary>
public sealed class InPlaceInputTests
{
    [Fact]
    public void An_input_read_through_a_view_is_read_in_place_and_gives_the_copying_paths_bits()
    {
        var h = new OpHarness();
        float[] data = TestData.Floats(new Random(3), 12 * 20);
        int x = h.Floats(data, 12, 4, 5);
        int flat = h.Alias(x);
        int y = h.Output();
        h.BlobFloats(TestData.Floats(new Random(4), 7 * 20), 7, 20);
        var (program, context) = h.Prepare(new ReshapeOp(x, flat, -1, [12, 20], false), new DenseOp(flat, y, 0, -1, Activation.Relu));
        Assert.True(program.ReadsInPlace(x));

        program.Run(context); // the copying path (Prepare set the input)
        float[] copied = context.Floats(y).ToArray();
        float[] input = (float[])data.Clone();
        Predictors.Run<float>(program, context, x, input, [12, 4, 5]);

        Assert.Equal(copied, context.Floats(y).ToArray());
        Assert.Equal(data, input);

        // The next call reads the next caller's memory, not the last one's.
        float[] other = TestData.Floats(new Random(5), data.Length);
        Predictors.Run<float>(program, context, x, other, [12, 4, 5]);
        float[] fromOther = context.Floats(y).ToArray();
        context.SetInput<float>(x, other, [12, 4, 5]);
        program.Run(context);
        Assert.Equal(context.Floats(y).ToArray(), fromOther);
        Assert.NotEqual(copied, fromOther);
    }

    [Fact]
    public void An_input_read_in_place_is_not_readable_after_the_run_until_it_is_set_again()
    {
        var h = new OpHarness();
        float[] data = TestData.Floats(new Random(8), 6);
        int x = h.Floats(data, 2, 3);
        int y = h.Output();
        var (program, context) = h.Prepare(new UnaryOp(x, y, UnaryFunction.Relu, 0, 0));
        Assert.True(program.ReadsInPlace(x));
        program.Run(context); // through the arena: the slot holds the data

        Predictors.Run<float>(program, context, x, (float[])data.Clone(), [2, 3]);
        Assert.Throws<InvalidOperationException>(() => context.Floats(x).ToArray());

        context.SetInput<float>(x, data, [2, 3]);
        Assert.Equal(data, context.Floats(x).ToArray());
    }

    [Fact]
    public void A_context_of_another_program_is_refused()
    {
        var h = new OpHarness();
        int x = h.Floats(new float[6], 2, 3);
        int y = h.Output();
        var (program, _) = h.Prepare(new UnaryOp(x, y, UnaryFunction.Relu, 0, 0));
        var (_, otherContext) = h.Prepare(new UnaryOp(x, y, UnaryFunction.Relu, 0, 0));
        Assert.Throws<ArgumentException>(() => Predictors.Run<float>(program, otherContext, x, new float[6], [2, 3]));
    }

    [Fact]
    public void An_exception_in_the_run_leaves_the_callers_memory_unbound()
    {
        var h = new OpHarness();
        int x = h.Floats(new float[6], 2, 3);
        int y = h.Output();
        var (program, context) = h.Prepare(new ReshapeOp(x, y, -1, [4, 4], false)); // 6 elements cannot be 4 × 4
        float[] input = [1, 2, 3, 4, 5, 6];
        Assert.Throws<ArgumentException>(() => Predictors.Run<float>(program, context, x, input, [2, 3]));
        Assert.Equal([1f, 2, 3, 4, 5, 6], input);

        // The next run through the arena reads its own data, not the earlier caller's.
        context.SetInput<float>(x, [6, 5, 4, 3, 2, 1], [2, 3]);
        Assert.Equal([6f, 5, 4, 3, 2, 1], context.Floats(x).ToArray());
    }

    [Fact]
    public void An_input_whose_slot_a_later_value_reuses_is_copied()
    {
        var h = new OpHarness();
        int x = h.Floats(new float[6], 2, 3);
        int t = h.Output();
        int reuse = h.Add(ValueDecl.Activation("reuse", TensorType.Float32, 0));
        var (program, _) = h.Prepare(new UnaryOp(x, t, UnaryFunction.Relu, 0, 0), new UnaryOp(t, reuse, UnaryFunction.Relu, 0, 0));
        Assert.False(program.ReadsInPlace(x));
    }

    [Fact]
    public void An_input_an_operator_works_on_in_place_is_copied()
    {
        var h = new OpHarness();
        int x = h.Floats(new float[6], 2, 3);
        int same = h.Alias(x);
        int y = h.Output();
        var (program, _) = h.Prepare(new UnaryOp(x, same, UnaryFunction.Relu, 0, 0), new UnaryOp(same, y, UnaryFunction.Relu, 0, 0));
        Assert.False(program.ReadsInPlace(x));
    }

    [Fact]
    public void An_input_whose_view_is_an_output_is_copied()
    {
        // The output is read after the run, when the caller's memory is no longer pinned.
        var program = new ModelProgram(
            [ValueDecl.Activation("x", TensorType.Float32, 0), ValueDecl.Activation("y", TensorType.Float32, 0)],
            [new IdentityOp(0, 1)], [0], [1], () => throw new InvalidOperationException("no blob"));
        Assert.False(program.ReadsInPlace(0));
        Assert.False(program.ReadsInPlace(1));
        Assert.False(program.ReadsInPlace(-1));
        Assert.False(program.ReadsInPlace(99));
    }
}
