namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Places small point labels so they do not pile up: each label tries above its point, then below, and is dropped when
/// both spots would overlap one already placed. Works in fractions of the axis ranges, which is what the eye sees.
/// </summary>
/// <param name="xMin">Left limit of the x axis.</param>
/// <param name="xMax">Right limit of the x axis.</param>
/// <param name="yMin">Bottom limit of the y axis.</param>
/// <param name="yMax">Top limit of the y axis.</param>
public sealed class LabelPlacer(double xMin, double xMax, double yMin, double yMax)
{
    // About one short number in 10-pt type on a ~900 x 550 data area.
    private const double Width = 0.028, Height = 0.032;
    private readonly List<(double X, double Y)> _placed = [];

    /// <summary>The vertical pixel offset to draw the label for (x, y) at (−14 above, +4 below), or null to leave it out.</summary>
    public float? Place(double x, double y)
    {
        double fx = (x - xMin) / Math.Max(1e-12, xMax - xMin), fy = (y - yMin) / Math.Max(1e-12, yMax - yMin);
        foreach (var (offset, dy) in new[] { (-14f, 0.035), (4f, -0.035) })
        {
            var spot = (X: fx + 0.015, Y: fy + dy);
            if (_placed.Any(p => Math.Abs(p.X - spot.X) < Width && Math.Abs(p.Y - spot.Y) < Height)) continue;
            _placed.Add(spot);
            return offset;
        }
        return null;
    }
}
