using System.Reflection;
using ModelBuild.Runtime.Execution;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `-- cold-ops-child gen &lt;model&gt;` (a fresh process): the generated program's first run op by op, to see which
/// layers make the first prediction dear (JIT of their kernels, weight preparation such as Winograd transforms or
/// panel packing, first touch of buffers). Runs the ops of the generated <c>…Program.Program</c> on a new context
/// twice and prints, per op kind and for the dearest single ops, process CPU time of the first and second run and
/// the JIT time (runtime's counter, all threads) during the first, and the first run's minor page faults (fresh
/// pages touched: activation slots, packed weights, scratch) and managed bytes allocated. A Stopwatch tool, not a benchmark.
/// </summary>
internal static class ColdOps
{
    public static void Run(string model)
    {
        int[] shape = ColdStart.Shapes[model];
        var input = new float[shape.Aggregate(1, (a, d) => a * d)];
        Type programType = typeof(ColdOps).Assembly.GetTypes().Single(t => t.Name.EndsWith("__" + ColdModels.ClassName(model) + "Program", StringComparison.Ordinal));
        var program = (ModelProgram)programType.GetField("Program", BindingFlags.Static | BindingFlags.NonPublic)!.GetValue(null)!;
        _ = program.Blob;
        var ops = program.Ops;
        var first = new double[ops.Count];
        var jit = new double[ops.Count];
        var second = new double[ops.Count];
        var faults = new long[ops.Count];
        var allocated = new long[ops.Count];
        long secondAllocated = 0;
        foreach (double[] times in new[] { first, second })
        {
            var context = new OpContext(program);
            context.SetInput<float>(program.Inputs[0], input, shape);
            context.BeginRun(); // as ModelProgram.Run, op by op
            for (int i = 0; i < ops.Count; i++)
            {
                double j0 = System.Runtime.JitInfo.GetCompilationTime(false).TotalMilliseconds;
                long f0 = ThreadClock.MinorFaults(), a0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = ThreadClock.ProcessNanoseconds();
                ops[i].Execute(context);
                context.OperatorDone();
                times[i] = (ThreadClock.ProcessNanoseconds() - t0) / 1e6;
                if (times == first)
                {
                    jit[i] = System.Runtime.JitInfo.GetCompilationTime(false).TotalMilliseconds - j0;
                    faults[i] = ThreadClock.MinorFaults() - f0;
                    allocated[i] = GC.GetAllocatedBytesForCurrentThread() - a0;
                }
                else
                {
                    secondAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                }
            }

            context.EndRun();
        }

        Console.WriteLine($"{model}: first run {first.Sum():F1} ms CPU (JIT {jit.Sum():F1}, {faults.Sum()} page faults, {allocated.Sum() / 1048576.0:F1} MiB allocated), second {second.Sum():F1} (a new context: {secondAllocated / 1048576.0:F1} MiB allocated)");
        foreach (var g in Enumerable.Range(0, ops.Count).GroupBy(i => ops[i].GetType().Name).OrderByDescending(g => g.Sum(i => first[i])))
        {
            Console.WriteLine($"  {g.Key,-22} x{g.Count(),3}: first {g.Sum(i => first[i]),7:F1}  jit {g.Sum(i => jit[i]),7:F1}  second {g.Sum(i => second[i]),7:F1}  faults {g.Sum(i => faults[i]),6}  MiB {g.Sum(i => allocated[i]) / 1048576.0,6:F1}");
        }

        foreach (int i in Enumerable.Range(0, ops.Count).OrderByDescending(i => first[i] - second[i]).Take(12))
        {
            Console.WriteLine($"  op {i,3} {ops[i].GetType().Name,-18} {ops[i].Node,-40} first {first[i],6:F1} jit {jit[i],6:F1} second {second[i],6:F1} faults {faults[i],5} MiB {allocated[i] / 1048576.0,5:F1}");
        }
    }
}
