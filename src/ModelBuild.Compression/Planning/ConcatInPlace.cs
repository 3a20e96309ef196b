using ModelBuild.Compression.Planning.Lowering;
using ModelBuild.Runtime.Ops;

namespace ModelBuild.Compression.Planning;

/// <summary>
/// Concat elision: a Concat along the channel axis whose inputs are all outputs of 1-D or 2-D Convs that nothing else
/// reads has each Conv write its channels of the Concat's output directly (<see cref="ConvOp.ConcatChannels"/>), and
/// the inputs share the output's arena slot, so the Concat copies nothing. SqueezeNet's Fire modules and Inception
/// blocks end in such Concats; copying them was ~4 % of squeezenet_cifar10's time at batch 1 and 4 (issue 12).
/// </summary>
/// <remarks>
/// Runs after lowering and before the in-place joins and slot assignment: joining each input's slot group with the
/// output's makes the output live from its first part's Conv, so nothing else is placed in that storage meanwhile.
/// All or nothing per Concat: a Concat with one input that is not such a Conv output copies all of them, as before.
/// </remarks>
internal static class ConcatInPlace
{
    public static void Apply(LoweringContext c)
    {
        var producers = new Dictionary<int, int>();
        for (int i = 0; i < c.Ops.Count; i++)
        {
            if (c.Ops[i] is ConvOp conv)
            {
                producers[conv.Y] = i;
            }
            else if (c.Ops[i] is ConcatOp concat && Parts(c, concat, i, producers) is { } parts)
            {
                Elide(c, concat, parts);
            }
        }
    }

    /// <summary>The op index and channel count of each input's Conv, or null when the Concat cannot be elided.</summary>
    private static List<(int Op, int Channels)>? Parts(LoweringContext c, ConcatOp concat, int at, Dictionary<int, int> producers)
    {
        // The output's group may hold views of it (a Flatten after the Concat), written later; nothing in it may be
        // written before the Concat, or the parts would overwrite it.
        if (concat.Inputs.Length < 2 || concat.Inputs.Distinct().Count() != concat.Inputs.Length || c.SlotIdOf(concat.Y) is not { } output
            || c.Slots.FirstWrite(output) != at)
        {
            return null;
        }

        var parts = new List<(int, int)>();
        foreach (var input in concat.Inputs)
        {
            if (!producers.TryGetValue(input, out var op) || c.Ops[op] is not ConvOp conv || c.SlotIdOf(input) is not { } slot)
            {
                return null;
            }

            int rank = conv.KernelShape.Length + 2;
            var dims = c.Weights.Entries[conv.Weight].Dims;
            bool channelAxis = concat.Axis == 1 || concat.Axis == 1 - rank;
            // Read once, by this Concat (a graph output is pinned past it), and not already sharing storage.
            bool onlyHere = c.Slots.Reads(slot) == 1 && c.Slots.LastRead(slot) == at && c.Slots.IsAlone(slot);
            if (!channelAxis || rank > 4 || conv.Residual >= 0 || conv.ConcatChannels != 0 || !onlyHere || dims.Length == 0)
            {
                return null;
            }

            parts.Add((op, dims[0]));
        }

        return parts;
    }

    private static void Elide(LoweringContext c, ConcatOp concat, List<(int Op, int Channels)> parts)
    {
        int total = parts.Sum(p => p.Channels), offset = 0;
        foreach (var (op, channels) in parts)
        {
            var conv = (ConvOp)c.Ops[op];
            c.Ops[op] = conv with { ConcatOffset = offset, ConcatChannels = total };
            c.Slots.Join(c.SlotIdOf(concat.Y)!.Value, c.SlotIdOf(conv.Y)!.Value);
            offset += channels;
        }
    }
}
