// hotengine: the one header a host includes.
#pragma once
#include "hot/config.h"
#include "hot/engine.h"
#include "hot/crash.h"
#include "hot/status.h"
