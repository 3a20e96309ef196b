using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelBuild.Runtime.Execution;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Runtime.Tests;

/// <summary>
/// Where a context's buffers come from in its first run (<see cref="ActivationArena"/>: cuts of huge-page chunks once
/// the buffers pass 1 MiB; <see cref="SpareBuffers"/>: buffers outgrown earlier in the run reused): values sharing
/// slots and growing them give the values computed independently, the same as op by op outside a run and as a
/// second run; buffers cut from one chunk never overlap and start on 64 bytes; a buffer an operator outgrew is not
/// handed out again while that operator runs.
/// </summary>
public sealed class FirstRunMemoryTests
{
    private const int C = 8, H = 128, W = 128; // 512 KiB per input: the run's buffers pass the 1 MiB threshold

    [Fact]
    public void SharedGrowingSlots_FirstRunGivesTheIndependentValues_AsOpByOpAndASecondRun()
    {
        var rng = new Random(21);
        float[] x = TestData.Floats(rng, C * H * W, -1, 1), x2 = TestData.Floats(rng, C * H * W, -1, 1);
        (float[] expected, float[] expected2) = (Reference(x), x2.Select(v => Math.Max(v, 0f)).ToArray());

        (ModelProgram program, OpContext context) = Program(x, x2);
        nint firstInput = Address(context.Floats(0));
        program.Run(context);
        Assert.Equal(expected, context.Floats(Y).ToArray());
        Assert.Equal(expected2, context.Floats(Y2).ToArray());
        Assert.True(Address(context.Floats(Y2)) == firstInput, "y2's slot must reuse the buffer x's slot outgrew (a spare)");
        context.SetInput<float>(0, x, [1, C, H, W]); // y overwrote x: they share slot 0
        context.SetInput<float>(6, x2, [1, C, H, W]);
        program.Run(context);
        Assert.Equal(expected, context.Floats(Y).ToArray());
        Assert.Equal(expected2, context.Floats(Y2).ToArray());

        // The same ops on a fresh context outside ModelProgram.Run: no spares, every buffer its own array.
        (ModelProgram again, OpContext plain) = Program(x, x2);
        foreach (Op op in again.Ops)
        {
            op.Execute(plain);
        }

        Assert.Equal(expected, plain.Floats(Y).ToArray());
        Assert.Equal(expected2, plain.Floats(Y2).ToArray());
    }

    [Fact]
    public void BuffersOfOneRun_DoNotOverlap_AndStartOn64Bytes()
    {
        var h = new OpHarness();
        var outputs = Enumerable.Range(0, 12).Select(_ => h.Output()).ToArray();
        (_, OpContext context) = h.Prepare();
        context.BeginRun();
        int[] sizes = [300_000, 1, 70_001, 262_144, 5, 999_999, 123_457, 40, 524_288, 17, 1_500_000, 65];
        for (int i = 0; i < outputs.Length; i++)
        {
            Span<float> span = context.OutputFloats(outputs[i], [sizes[i]]);
            Assert.Equal(0, Offset(span));
            span.Fill(i + 1);
            context.OperatorDone();
        }

        context.EndRun();
        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.All(context.Floats(outputs[i]).ToArray(), v => Assert.Equal(i + 1, v));
        }
    }

    [Fact]
    public void BufferOutgrownByAnOperator_IsNotReusedBeforeItReturns()
    {
        var h = new OpHarness();
        int a = h.Output(), b = h.Output(), filler = h.Output();
        (_, OpContext context) = h.Prepare();
        context.BeginRun();
        context.OutputFloats(filler, [400_000]); // past the standalone threshold with what follows
        context.OperatorDone();
        Span<float> old = context.OutputFloats(a, [100_000]);
        old.Fill(7);
        context.OperatorDone();

        // One operator: reads a through `old`, grows a's slot (retiring `old`), then writes b, which would fit in `old`.
        ReadOnlySpan<float> reading = context.Floats(a);
        context.OutputFloats(a, [300_000]);
        context.OutputFloats(b, [90_000]).Fill(-1);
        Assert.All(reading.ToArray(), v => Assert.Equal(7, v));
        context.OperatorDone();

        // The next operator may reuse it: b grows into the spare, which still holds the same values until written.
        context.OutputFloats(b, [95_000]);
        context.EndRun();
        Assert.Equal(95_000, context.Count(b));
    }

    private const int Y = 5, Y2 = 7;

    // x → Pad (1 on each spatial side) → Relu in x's slot (grows it: x's buffer becomes a spare) → Concat(relu, padded)
    // → Add with itself in the padded value's slot (grows it) → Neg in relu's slot (grows it again; the spare is too
    // small). x2 → Relu in a slot of its own, first used after x's slot grew: it gets the spare.
    private static (ModelProgram Program, OpContext Context) Program(float[] x, float[] x2)
    {
        ValueDecl[] values =
        [
            ValueDecl.Activation("x", TensorType.Float32, 0),
            ValueDecl.Activation("padded", TensorType.Float32, 1),
            ValueDecl.Activation("relu", TensorType.Float32, 0),
            ValueDecl.Activation("cat", TensorType.Float32, 2),
            ValueDecl.Activation("sum", TensorType.Float32, 1),
            ValueDecl.Activation("y", TensorType.Float32, 0),
            ValueDecl.Activation("x2", TensorType.Float32, 3),
            ValueDecl.Activation("y2", TensorType.Float32, 4),
        ];
        Op[] ops =
        [
            new PadOp(0, 1, [0, 0, 1, 1, 0, 0, 1, 1], -1, [], -1, 0f, -1, PadMode.Constant),
            new UnaryOp(1, 2, UnaryFunction.Relu, 0, 0),
            new UnaryOp(6, 7, UnaryFunction.Relu, 0, 0),
            new ConcatOp([2, 1], 3, 1),
            new BinaryOp(3, 3, 4, BinaryFunction.Add),
            new UnaryOp(4, Y, UnaryFunction.Neg, 0, 0),
        ];
        var program = new ModelProgram(values, ops, [0, 6], [Y, Y2], () => throw new InvalidOperationException("no blob"));
        var context = new OpContext(program);
        context.SetInput<float>(0, x, [1, C, H, W]);
        context.SetInput<float>(6, x2, [1, C, H, W]);
        return (program, context);
    }

    // The same function in plain loops: y = −2·concat(relu(pad(x)), pad(x)) over channels.
    private static float[] Reference(float[] x)
    {
        int ph = H + 2, pw = W + 2, plane = ph * pw;
        var padded = new float[C * plane];
        for (int c = 0; c < C; c++)
        {
            for (int i = 0; i < H; i++)
            {
                for (int j = 0; j < W; j++)
                {
                    padded[(c * plane) + ((i + 1) * pw) + j + 1] = x[(c * H * W) + (i * W) + j];
                }
            }
        }

        var y = new float[2 * C * plane];
        for (int k = 0; k < padded.Length; k++)
        {
            float relu = Math.Max(padded[k], 0f);
            y[k] = -(relu + relu);
            y[padded.Length + k] = -(padded[k] + padded[k]);
        }

        return y;
    }

    private static long Offset(ReadOnlySpan<float> span) => Address(span) % 64;

    private static unsafe nint Address(ReadOnlySpan<float> span) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
}
