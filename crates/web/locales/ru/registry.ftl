# Vehicle registry: the owner of the vehicle in a report, shown only to the agency's executors.
registry-owner-heading = Владелец транспортного средства
registry-owner-name = Владелец
registry-owner-vehicle = Марка и модель
registry-owner-found = Владелец найден в реестре.
registry-owner-pending = Запрос в реестр транспортных средств ещё не выполнен: реестр недоступен или запрос стоит в очереди. Данные появятся здесь автоматически.
registry-owner-unknown = Реестр транспортных средств не знает этот номер.
registry-owner-failed = Реестр транспортных средств не ответил на все попытки запроса. Сообщите администратору.
registry-owner-notice = Персональные данные: видны только исполнителям ведомства, не передавайте их заявителю.

# Staff search over reports on the queue page.
search-label = Поиск по номеру, описанию, адресу или госномеру
search-submit = Найти
search-hint = Регистр и буквы «ё»/«е» не важны; госномер можно ввести латиницей и с пробелами, например A123BC 77.
search-results-heading = Результаты поиска: «{ $query }»
search-nothing-found = Ничего не найдено. Проверьте запрос или сократите его до части слова или номера.
search-query-too-long = Запрос слишком длинный: не больше { $max } { $max ->
        [one] символа
       *[other] символов
    }. Сократите его и повторите поиск.
search-staff-only = Поиск по всем обращениям доступен только сотрудникам. Ваши обращения перечислены в личном кабинете.

# API-key administration for administrators.
apikeys-title = Ключи API
apikeys-create-heading = Новый ключ
apikeys-list-heading = Выданные ключи
apikeys-name = Имя клиента
apikeys-name-hint = Строчные латинские буквы, цифры и дефисы, например city-app.
apikeys-agency = Ведомство
apikeys-open311-client = Клиент Open311 (без ведомства)
apikeys-create = Выдать ключ
apikeys-issued = Ключ выдан. Скопируйте его сейчас: он показывается только один раз и больше нигде не хранится.
apikeys-created = Выдан
apikeys-last-used = Последнее использование
apikeys-last-used-unknown = не записывается
apikeys-state = Состояние
apikeys-active = Действует
apikeys-revoked = Отозван
apikeys-revoke = Отозвать
apikeys-empty = Ключей пока нет.
apikeys-name-invalid = Имя не подходит: используйте от 1 до { $max } строчных латинских букв, цифр и дефисов, начиная с буквы или цифры.
apikeys-name-taken = Ключ с таким именем уже выдавался (имена отозванных ключей тоже заняты). Выберите другое имя.
apikeys-agency-unknown = Такого ведомства нет в справочнике. Выберите ведомство из списка.

# Webhook deliveries whose attempts ran out, for administrators.
apikeys-webhooks-title = Недоставленные вебхуки
apikeys-webhooks-empty = Все вебхуки доставлены или ещё в очереди.
apikeys-webhooks-count = { $count ->
        [one] { $count } вебхук не доставлен: системы ведомства не подтвердили получение.
        [few] { $count } вебхука не доставлены: системы ведомства не подтвердили получение.
       *[many] { $count } вебхуков не доставлены: системы ведомства не подтвердили получение.
    }
apikeys-webhooks-retry-all = Отправить все повторно
apikeys-webhooks-retry = Отправить повторно
apikeys-webhooks-report = Обращение
apikeys-webhooks-destination = Получатель
apikeys-webhooks-attempts = Попыток
apikeys-webhooks-error = Последняя ошибка
apikeys-webhooks-created = Создано
apikeys-webhooks-action = Действие
