// A child process for the loader fuzz tests and the loading-memory measurement.
//   run <list-file>                      load each case directory named in the file (one per line) and, when it
//                                        loads, generate one token; print one JSON line per case
//   write-large <dir> <float32|bfloat16> write a randomly initialised ~0.5B-parameter model (Qwen2.5-0.5B shape)
//   measure-load <dir>                   load the weights of <dir> and print time and peak resident memory
//   openmp-policy <library-first|torch-first>  what libtorch's OpenMP runtime reads of OMP_WAIT_POLICY
using TestTimeScaling.FuzzHost;

return args switch
{
    ["run", var list] => CaseRunner.Run(list),
    ["write-large", var dir, var dtype] => LoadMeasurement.WriteLarge(dir, dtype),
    ["measure-load", var dir] => LoadMeasurement.Measure(dir),
    ["openmp-policy", var order] => OpenMPPolicyCheck.Run(order),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: run <list-file> | write-large <dir> <float32|bfloat16> | measure-load <dir> | openmp-policy <library-first|torch-first>");
    return 2;
}
