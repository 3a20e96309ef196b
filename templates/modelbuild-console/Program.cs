using System.Globalization;
using ModelBuildConsole;

// A digit drawn as text, 14×14 cells, each cell 2×2 pixels of the 28×28 image the model takes. Draw another one and
// run again.
string[] drawing =
[
    "..............",
    "..............",
    "...########...",
    "...########...",
    ".........##...",
    ".........##...",
    "........##....",
    "........##....",
    ".......##.....",
    ".......##.....",
    "......##......",
    "......##......",
    "..............",
    "..............",
];

// The model's input: [1, 1, 28, 28], row-major, ink = 1 and background = 0 (pixel / 255, as it was trained).
var pixels = new float[DigitModel.InputElementsPerSample];
for (var y = 0; y < 28; y++)
{
    for (var x = 0; x < 28; x++)
    {
        pixels[(y * 28) + x] = drawing[y / 2][x / 2] == '#' ? 1f : 0f;
    }
}

// Weights are decoded once per process; instances are cheap and Predict is thread-safe.
var model = new DigitModel();
float[] scores = model.Predict(pixels); // [1, 10]: one score per digit, higher = more likely

Console.WriteLine(DigitModel.ModelInfo);
Console.WriteLine($"Predicted digit: {Array.IndexOf(scores, scores.Max())}");
Console.WriteLine("Scores 0-9: " + string.Join(" ", scores.Select(s => s.ToString("0.000", CultureInfo.InvariantCulture))));
