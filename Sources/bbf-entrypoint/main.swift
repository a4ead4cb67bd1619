import BBFEntrypoint
import BBFSystem

#if canImport(Glibc)
    import Glibc
#endif

exit(Entrypoint.main(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessEnvironment.current()))
