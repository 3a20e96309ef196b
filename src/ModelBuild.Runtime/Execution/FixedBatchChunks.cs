using System.ComponentModel;

namespace ModelBuild.Runtime.Execution;

/// <summary>Sets one chunk's input, runs the program on the calling thread's context and returns that context (the generated <c>…Program.Run</c>).</summary>
/// <typeparam name="T">The input's element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate OpContext ChunkRunner<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> shape)
    where T : unmanaged;

/// <summary>
/// A model with a fixed batch (mnist-8's 1) run over more samples: one program run per chunk of that batch. With
/// <see cref="ModelProgram.IntraOpThreads"/> above 1 the chunks are shared out over <see cref="IntraOp"/>'s threads,
/// each thread running whole chunks on its own context (its own activation buffers), so a batch of 64 single-sample
/// runs uses both cores where no operator inside a single-sample run is big enough to split. Operators inside a
/// chunk then run on their chunk's thread (IntraOp runs nested regions inline). Every chunk is computed by the same
/// code as with one thread: results are bit-identical.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FixedBatchChunks
{
    /// <summary>Runs <paramref name="batchSize"/> / <paramref name="chunk"/> chunks and copies each one's output into its slice of <paramref name="output"/>.</summary>
    /// <param name="run">The generated program's <c>Run</c> (sets the input on the calling thread's context, runs it).</param>
    /// <param name="threads">The program's <see cref="ModelProgram.IntraOpThreads"/>.</param>
    /// <param name="input">All samples, <paramref name="batchSize"/> × <paramref name="inputPerSample"/> elements.</param>
    /// <param name="output">All outputs, <paramref name="batchSize"/> × <paramref name="outputPerSample"/> elements.</param>
    /// <param name="shape">One chunk's input shape (its first dim = <paramref name="chunk"/>).</param>
    /// <param name="batchSize">Samples, a positive multiple of <paramref name="chunk"/> (checked by the caller).</param>
    /// <param name="chunk">The model's fixed batch.</param>
    /// <param name="inputPerSample">Input elements per sample.</param>
    /// <param name="outputPerSample">Output elements per sample.</param>
    /// <param name="outputValue">The output's value id.</param>
    /// <param name="outputName">The output's ONNX name, for messages.</param>
    /// <exception cref="ArgumentException">A chunk's output does not have <paramref name="chunk"/> × <paramref name="outputPerSample"/> elements.</exception>
    public static unsafe void Run<TIn, TOut>(ChunkRunner<TIn> run, int threads, ReadOnlySpan<TIn> input, Span<TOut> output, ReadOnlySpan<int> shape,
        int batchSize, int chunk, int inputPerSample, int outputPerSample, int outputValue, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        ArgumentNullException.ThrowIfNull(run);
        int chunks = batchSize / chunk;

        // Every chunk is a whole model run (tens of µs and more), far above a hand-off: split whenever there are two.
        int parts = threads <= 1 ? 1 : Math.Min(chunks, Math.Min(threads * IntraOp.PartsPerThread, IntraOp.MaxParts));
        if (parts <= 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                RunChunk(run, input, output, shape, c, chunk, inputPerSample, outputPerSample, outputValue, outputName);
            }

            return;
        }

        fixed (TIn* pi = input)
        fixed (TOut* po = output)
        fixed (int* ps = shape)
        {
            var job = Job<TIn, TOut>.Current;
            job.Set(run, pi, input.Length, po, output.Length, ps, shape.Length, chunks, chunk, inputPerSample, outputPerSample, outputValue, outputName);
            try
            {
                IntraOp.Run(job, parts, threads);
            }
            finally
            {
                job.Set(null, null, 0, null, 0, null, 0, 0, 0, 0, 0, 0, "");
            }
        }
    }

    private static void RunChunk<TIn, TOut>(ChunkRunner<TIn> run, ReadOnlySpan<TIn> input, Span<TOut> output, ReadOnlySpan<int> shape, int c, int chunk,
        int inputPerSample, int outputPerSample, int outputValue, string outputName)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        var context = run(input.Slice(c * chunk * inputPerSample, chunk * inputPerSample), shape);
        Predictors.CopyExact(context, outputValue, output.Slice(c * chunk * outputPerSample, chunk * outputPerSample), outputName);
    }

    /// <summary>A parallel call's operands as pointers (fixed by <see cref="Run"/> for the call's duration); one per calling thread and element types.</summary>
    private sealed unsafe class Job<TIn, TOut> : IntraOp.IWork
        where TIn : unmanaged
        where TOut : unmanaged
    {
        [ThreadStatic]
        private static Job<TIn, TOut>? t_job;

        private ChunkRunner<TIn>? _run;
        private TIn* _input;
        private TOut* _output;
        private int* _shape;
        private int _inputLength, _outputLength, _shapeLength, _chunks, _chunk, _inputPerSample, _outputPerSample, _outputValue;
        private string _outputName = "";

        public static Job<TIn, TOut> Current => t_job ??= new Job<TIn, TOut>();

        public void Set(ChunkRunner<TIn>? run, TIn* input, int inputLength, TOut* output, int outputLength, int* shape, int shapeLength, int chunks, int chunk,
            int inputPerSample, int outputPerSample, int outputValue, string outputName)
        {
            _input = input;
            _output = output;
            _shape = shape;
            (_run, _inputLength, _outputLength, _shapeLength) = (run, inputLength, outputLength, shapeLength);
            (_chunks, _chunk, _inputPerSample, _outputPerSample, _outputValue, _outputName) = (chunks, chunk, inputPerSample, outputPerSample, outputValue, outputName);
        }

        /// <summary>Chunks [chunks·part/parts, chunks·(part+1)/parts), in order, on this thread's context.</summary>
        public void Run(int part, int parts)
        {
            var input = new ReadOnlySpan<TIn>(_input, _inputLength);
            var output = new Span<TOut>(_output, _outputLength);
            var shape = new ReadOnlySpan<int>(_shape, _shapeLength);
            for (int c = _chunks * part / parts, end = _chunks * (part + 1) / parts; c < end; c++)
            {
                RunChunk(_run!, input, output, shape, c, _chunk, _inputPerSample, _outputPerSample, _outputValue, _outputName);
            }
        }
    }
}
