namespace ModelBuild.Runtime;

/// <summary>The <c>direction</c> attribute of ONNX LSTM, GRU and RNN.</summary>
public enum RecurrenceDirection
{
    /// <summary>Time steps 0 … T−1 (one direction).</summary>
    Forward,

    /// <summary>Time steps T−1 … 0 (one direction).</summary>
    Reverse,

    /// <summary>A forward pass (direction 0) and a reverse pass (direction 1), each with its own weights.</summary>
    Bidirectional,
}
