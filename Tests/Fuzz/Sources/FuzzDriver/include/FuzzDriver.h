#ifndef GRID_FUZZ_DRIVER_H
#define GRID_FUZZ_DRIVER_H
// Nothing to import: this target only supplies the fuzz executables' entry points (driver.c).
#endif
